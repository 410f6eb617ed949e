-- wrk script for the scale workload: POST the resync requests of many parents, round-robin.
--
--   wrk ... -s bench/scale.lua URL -- BODIES INDEX FIRST CLUSTER_PATH TABLE_PATH
--
-- BODIES holds every request one after another; INDEX has one line per request, "kind offset
-- length" (kind: cluster or table). Request i of a run is entry (FIRST + i) mod the number of
-- entries, read from BODIES when it is sent, so wrk holds one request at a time, not all of them.
-- done() (bench/done.lua) prints one line "BENCH {json}", as for post.lua.

local file, kinds, offsets, lengths, count, position, paths

function init(args)
  file = assert(io.open(args[1], "rb"))
  kinds, offsets, lengths = {}, {}, {}
  count = 0
  for line in io.lines(args[2]) do
    local kind, offset, length = line:match("^(%a+) (%d+) (%d+)$")
    count = count + 1
    kinds[count], offsets[count], lengths[count] = kind, tonumber(offset), tonumber(length)
  end
  position = tonumber(args[3]) % count
  paths = {cluster = args[4], table = args[5]}
end

function request()
  position = position % count + 1
  file:seek("set", offsets[position])
  local body = file:read(lengths[position])
  return wrk.format("POST", paths[kinds[position]], {["Content-Type"] = "application/json"}, body)
end

done = dofile("bench/done.lua")
