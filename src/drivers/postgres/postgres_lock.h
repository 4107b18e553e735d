// The runner lock on PostgreSQL: a session-level advisory lock,
// held on a connection of its own.
//
// Its own connection, because a waiter must never queue behind the holder
// (it polls pg_try_advisory_lock instead) and because the holder's main
// connection must stay free of anything that would make it wait on itself:
// CREATE INDEX CONCURRENTLY waits for every other transaction, and a lock
// taken in the main connection's transaction would be one of them. The lock
// goes away with the connection, so a runner that dies releases it.
#pragma once

#include <chrono>
#include <cstdint>
#include <future>
#include <string>

#include "migrate/error.h"

struct pg_conn;

namespace migrate::postgres {

// The advisory lock keys, stable 64-bit hashes. A runner takes both: the
// database's, "migrate:<database>", because a restore or `fresh` changes
// the whole database whatever tracking table it names; and its tracking
// table's, "migrate:<database>:<table>", the one older versions take alone,
// so that a runner of an older version on the same table is still excluded.
std::int64_t advisory_lock_key(const std::string& database);
std::int64_t advisory_lock_key(const std::string& database, const std::string& table);

class AdvisoryLock {
 public:
  // `conninfo` includes the password; `masked_url` and `database` are for messages.
  AdvisoryLock(std::string conninfo, std::string password, std::string masked_url,
               std::string database, const std::string& table);
  ~AdvisoryLock();
  AdvisoryLock(const AdvisoryLock&) = delete;
  AdvisoryLock& operator=(const AdvisoryLock&) = delete;

  // Starts opening the lock connection on a thread of its own, so that it
  // opens while the caller opens its main connection; acquire() takes it.
  void open_ahead();
  // Connects and polls every 100 ms until the lock is ours or `timeout` has
  // passed (one attempt with a zero timeout). kLock on timeout, naming the
  // keys, the database and the holder's pid; kConnection if the lock
  // connection cannot be opened.
  Result<void> acquire(std::chrono::milliseconds timeout);
  // Unlocks and closes the connection (one opened ahead too); a no-op when
  // not held.
  void release();

 private:
  Result<bool> try_lock();
  std::string holder_description();

  std::string conninfo_, password_, masked_url_, database_;
  std::int64_t keys_[2];         // the database's, then the table's: always taken in this order
  pg_conn* conn_ = nullptr;      // owned; open only while the lock is held or awaited
  std::future<pg_conn*> ahead_;  // open_ahead()'s connection, until acquire() takes it
  bool held_ = false;
};

}  // namespace migrate::postgres
