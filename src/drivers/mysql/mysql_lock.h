// The runner lock on MySQL/MariaDB (README.md, "Tracking table"): a named lock (GET_LOCK), held
// on a connection of its own.
//
// Its own connection, so that a waiter polls GET_LOCK(name, 0) instead of
// queueing inside the server behind the holder, and so that nothing the
// migrations do on the main connection (which may reconnect or change
// sessions) can release it. The lock goes away with the connection, so a
// runner that dies releases it.
#pragma once

#include <chrono>
#include <string>

#include "drivers/mysql/mysql_connection.h"
#include "migrate/error.h"

namespace migrate::mysql {

// The lock names, "migrate:<database>" and "migrate:<database>:<table>"
// (or a hash of one when it is longer than the 64 characters MySQL allows).
// A runner takes both: the database's, because a restore or `fresh` changes
// the whole database whatever tracking table it names; and its table's, the
// one older versions take alone, so that one of those is still excluded.
std::string lock_name(const std::string& database);
std::string lock_name(const std::string& database, const std::string& table);

class NamedLock {
 public:
  NamedLock(ConnectParams params, const std::string& table);
  ~NamedLock() = default;
  NamedLock(const NamedLock&) = delete;
  NamedLock& operator=(const NamedLock&) = delete;

  // Connects and polls every 100 ms until the lock is ours or `timeout` has
  // passed (one attempt with a zero timeout). kLock on timeout, naming the
  // lock and its holder; kConnection when the lock connection fails.
  Result<void> acquire(std::chrono::milliseconds timeout);
  // Releases the lock and closes its connection; a no-op when not held.
  void release();

 private:
  Result<bool> try_lock();
  std::string holder_description();

  ConnectParams params_;
  std::string names_[2];  // the database's, then the table's: always taken in this order
  Connection conn_;
  bool held_ = false;
};

}  // namespace migrate::mysql
