"""The Lua scripts behind :class:`~crosswire.limits.redis_state.RedisState`, as data.

Each runs atomically inside Redis and reads the time from Redis itself (``TIME``), so replicas
on machines whose clocks disagree still share one consistent window. Keys of one provider share
the hash tag ``{name}`` (Redis Cluster puts them in one slot).
"""

from __future__ import annotations

TAKE = """
-- KEYS: requests zset, tokens zset, leases zset
-- ARGV: window, rpm, tpm, max_concurrency (0 = none), tokens, lease id, lease ttl
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local window = tonumber(ARGV[1])
local rpm, tpm, conc = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local tokens, lease, ttl = tonumber(ARGV[5]), ARGV[6], tonumber(ARGV[7])
local wait = 0
if rpm > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
  local n = redis.call('ZCARD', KEYS[1])
  if n >= rpm then
    local e = redis.call('ZRANGE', KEYS[1], n - rpm, n - rpm, 'WITHSCORES')
    wait = math.max(wait, tonumber(e[2]) + window - now)
  end
end
if tpm > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - window)
  local e = redis.call('ZRANGE', KEYS[2], 0, -1, 'WITHSCORES')
  local total = 0
  for i = 1, #e, 2 do total = total + tonumber(string.match(e[i], ':(%d+)$')) end
  if total + tokens > tpm and #e > 0 then
    local freed, last = 0, now
    for i = 1, #e, 2 do
      freed = freed + tonumber(string.match(e[i], ':(%d+)$'))
      last = tonumber(e[i + 1])
      if total - freed + tokens <= tpm then break end
    end
    wait = math.max(wait, last + window - now)
  end
end
local full = false
if conc > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
  full = redis.call('ZCARD', KEYS[3]) >= conc
end
if wait > 0 or full then
  return {0, tostring(wait)}
end
local keep = math.ceil(window) + 5
if rpm > 0 then
  redis.call('ZADD', KEYS[1], now, lease)
  redis.call('EXPIRE', KEYS[1], keep)
end
if tpm > 0 then
  redis.call('ZADD', KEYS[2], now, lease .. ':' .. tokens)
  redis.call('EXPIRE', KEYS[2], keep)
end
if conc > 0 then
  redis.call('ZADD', KEYS[3], now + ttl, lease)
  redis.call('EXPIRE', KEYS[3], math.ceil(ttl) + 5)
end
return {1, '0'}
"""

REFRESH = """
-- KEYS: leases zset; ARGV: ttl, lease ids...
local t = redis.call('TIME')
local deadline = tonumber(t[1]) + tonumber(t[2]) / 1000000 + tonumber(ARGV[1])
for i = 2, #ARGV do
  redis.call('ZADD', KEYS[1], 'XX', deadline, ARGV[i])
end
redis.call('EXPIRE', KEYS[1], math.ceil(tonumber(ARGV[1])) + 5)
return 0
"""

BREAKER_ALLOW = """
-- KEYS: circuit hash; ARGV: probe ttl. Returns {allowed, clean}.
local h = redis.call('HMGET', KEYS[1], 'failures', 'open_until', 'probe_until')
local open_until = tonumber(h[2])
if not open_until then
  local clean = (tonumber(h[1]) or 0) == 0 and 1 or 0
  return {1, clean}
end
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
if now < open_until or now < (tonumber(h[3]) or 0) then
  return {0, 0}
end
redis.call('HSET', KEYS[1], 'probe_until', now + tonumber(ARGV[1]))
return {1, 0}
"""

BREAKER_RECORD = """
-- KEYS: circuit hash; ARGV: ok (1/0), threshold, cooldown, key ttl
if ARGV[1] == '1' then
  redis.call('DEL', KEYS[1])
  return 0
end
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local cooldown = tonumber(ARGV[3])
local open_until = tonumber(redis.call('HGET', KEYS[1], 'open_until'))
if open_until then
  if now >= open_until then
    redis.call('HSET', KEYS[1], 'open_until', now + cooldown, 'probe_until', 0)
  end
else
  local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
  if failures >= tonumber(ARGV[2]) then
    redis.call('HSET', KEYS[1], 'open_until', now + cooldown)
  end
end
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[4]))
return 0
"""
