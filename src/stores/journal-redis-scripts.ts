/**
 * The Lua scripts of the Redis journal store: each runs atomically on the slot of one connection (all
 * its keys share a hash tag), so claims, releases and burials never interleave.
 *
 * @internal
 * @module
 */

/** KEYS: ops, due, call set. ARGV: id, value, due. Adds unless the id exists. */
export const ADD = `
if redis.call('hexists', KEYS[1], ARGV[1]) == 1 then return 0 end
redis.call('hset', KEYS[1], ARGV[1], ARGV[2])
redis.call('zadd', KEYS[2], ARGV[3], ARGV[1])
redis.call('sadd', KEYS[3], ARGV[1])
return 1`;

/**
 * KEYS: ops, due, lease. ARGV: now, dueBefore, limit, leaseUntil. Collects due, unleased operations in
 * due order, then leases them: the due score moves to the lease's end, so ordinary claims skip them.
 * Returns `[id, value, id, value…]`; an id whose value is gone is dropped from the indexes.
 */
export const CLAIM_DUE = `
local limit = tonumber(ARGV[3])
local now = tonumber(ARGV[1])
local chosen = {}
local offset = 0
local page = limit * 2 + 16
while #chosen < limit do
  local ids = redis.call('zrangebyscore', KEYS[2], '-inf', ARGV[2], 'LIMIT', offset, page)
  if #ids == 0 then break end
  for _, id in ipairs(ids) do
    local leased = redis.call('zscore', KEYS[3], id)
    if (not leased) or tonumber(leased) <= now then
      chosen[#chosen + 1] = id
      if #chosen >= limit then break end
    end
  end
  offset = offset + page
end
local out = {}
for _, id in ipairs(chosen) do
  local value = redis.call('hget', KEYS[1], id)
  if value then
    redis.call('zadd', KEYS[2], ARGV[4], id)
    redis.call('zadd', KEYS[3], ARGV[4], id)
    out[#out + 1] = id
    out[#out + 1] = value
  else
    redis.call('zrem', KEYS[2], id)
    redis.call('zrem', KEYS[3], id)
  end
end
return out`;

/** KEYS: ops, due, lease, call sets…. ARGV: now, dueBefore, leaseUntil. */
export const CLAIM_CALLS = `
local now = tonumber(ARGV[1])
local before = ARGV[2]
local out = {}
for i = 4, #KEYS do
  for _, id in ipairs(redis.call('smembers', KEYS[i])) do
    local due = redis.call('zscore', KEYS[2], id)
    local leased = redis.call('zscore', KEYS[3], id)
    local value = redis.call('hget', KEYS[1], id)
    if due and value and ((not leased) or tonumber(leased) <= now) and (before == '+inf' or tonumber(due) <= tonumber(before)) then
      redis.call('zadd', KEYS[2], ARGV[3], id)
      redis.call('zadd', KEYS[3], ARGV[3], id)
      out[#out + 1] = id
      out[#out + 1] = value
    end
  end
end
return out`;

/** KEYS: ops, due, lease. ARGV: id, value, due. Ignored when the operation is gone. */
export const RELEASE = `
if redis.call('hexists', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('hset', KEYS[1], ARGV[1], ARGV[2])
redis.call('zadd', KEYS[2], ARGV[3], ARGV[1])
redis.call('zrem', KEYS[3], ARGV[1])
return 1`;

/** KEYS: ops, due, lease, call set. ARGV: id. */
export const REMOVE = `
redis.call('hdel', KEYS[1], ARGV[1])
redis.call('zrem', KEYS[2], ARGV[1])
redis.call('zrem', KEYS[3], ARGV[1])
redis.call('srem', KEYS[4], ARGV[1])
return 1`;

/** KEYS: ops, due, lease, call set, dead. ARGV: id, letter. */
export const BURY = `
redis.call('hdel', KEYS[1], ARGV[1])
redis.call('zrem', KEYS[2], ARGV[1])
redis.call('zrem', KEYS[3], ARGV[1])
redis.call('srem', KEYS[4], ARGV[1])
redis.call('hset', KEYS[5], ARGV[1], ARGV[2])
return 1`;

/** KEYS: ops, due, lease, dead, quarantine. ARGV: id, entry. Moves a bad value aside. */
export const QUARANTINE = `
redis.call('hdel', KEYS[1], ARGV[1])
redis.call('zrem', KEYS[2], ARGV[1])
redis.call('zrem', KEYS[3], ARGV[1])
redis.call('hdel', KEYS[4], ARGV[1])
redis.call('rpush', KEYS[5], ARGV[2])
return 1`;

/** KEYS: dead. ARGV: id. Returns and deletes the letter. */
export const UNBURY = `
local value = redis.call('hget', KEYS[1], ARGV[1])
if value then redis.call('hdel', KEYS[1], ARGV[1]) end
return value`;
