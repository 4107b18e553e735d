// The three commands the fault sweep runs, called in-process the way
// src/cli calls the library: `backup`, `restore` (of the backup taken in
// state A, with its pre-restore backup) and `up` (with its pre-migration
// backup), on a SqliteWorld.
#pragma once

#include <string>

#include "faults/sqlite_world.h"
#include "migrate/error.h"

namespace migrate::testing {

enum class Command { kBackup, kRestore, kUp };

const char* command_name(Command command);

// Brings `world` to where `command` starts (for restore: a backup of state
// A, then state B), with the default Env. Returns the backup id to restore.
std::string prepare(const SqliteWorld& world, Command command);

// Opens the store for writing, as every command that writes a backup does
// first: it removes what crashed or failed runs left.
Result<void> open_store_for_writing(const SqliteWorld& world);

// Runs `command` once, through whatever env() is.
Result<void> run_command(const SqliteWorld& world, Command command, const std::string& backup_id);

}  // namespace migrate::testing
