// Where the redis-server for the multi-instance signaling tests is: $REDIS_SERVER_BIN, or
// Debian's path. Shared by the pre-test check and the Redis test harness so both agree.
import { accessSync, constants } from 'node:fs'

/** Where Debian's redis-server package installs the server. */
const DEBIAN_REDIS_SERVER = '/usr/bin/redis-server'

/** The redis-server the tests run: $REDIS_SERVER_BIN when set, else Debian's path (it may not exist). */
export function redisServerPath(): string {
  const fromEnv = process.env.REDIS_SERVER_BIN
  return fromEnv !== undefined && fromEnv.length > 0 ? fromEnv : DEBIAN_REDIS_SERVER
}

/** The redis-server executable to use, or null when it is not installed there. */
export function findRedisServer(): string | null {
  const path = redisServerPath()
  try {
    accessSync(path, constants.X_OK)
    return path
  } catch {
    return null // missing or not executable: the caller says what to install
  }
}
