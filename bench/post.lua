-- wrk script for the benchmark: POST one request body, or a different one on every request.
--
--   wrk ... -s bench/post.lua URL -- BODY_FILE MODE [FIRST] [MARKER] [IF_NONE_MATCH]
--
-- MODE "same" sends BODY_FILE as it is on every request (a static request, built once).
-- MODE "vary" replaces MARKER in BODY_FILE by a number that grows by one per request, starting
-- at FIRST, so no two requests of a run are equal. With IF_NONE_MATCH set, every request carries
-- that If-None-Match header.
-- done() (bench/done.lua) prints one line "BENCH {json}": counts, errors and 999 latency quantiles.

local prefix, suffix, sequence

function init(args)
  local file = assert(io.open(args[1], "rb"))
  local body = file:read("*a")
  file:close()
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  if args[5] and args[5] ~= "" then
    wrk.headers["If-None-Match"] = args[5]
  end
  if args[2] == "vary" then
    local first, last = body:find(args[4], 1, true)
    assert(first, "the marker is not in the body")
    prefix = body:sub(1, first - 1)
    suffix = body:sub(last + 1)
    sequence = tonumber(args[3])
    request = function()
      sequence = sequence + 1
      return wrk.format(nil, nil, nil, prefix .. string.format("%d", sequence) .. suffix)
    end
  else
    wrk.body = body
  end
end

done = dofile("bench/done.lua")
