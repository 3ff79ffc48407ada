-- Cycles over the requests listed in the file named by BENCHMARK_REQUESTS (one a line: the path,
-- then tab-separated "Name: value" headers) and prints one JSON line of results when done.

local requests = {}
local next_index = 1

function init(args)
  for line in io.lines(os.getenv("BENCHMARK_REQUESTS")) do
    local path, rest = line:match("^([^\t]+)\t?(.*)$")
    local headers = {}
    for name, value in rest:gmatch("([^:\t]+): ([^\t]*)") do
      headers[name] = value
    end
    requests[#requests + 1] = wrk.format("GET", path, headers)
  end
  next_index = math.random(#requests)
end

function request()
  local r = requests[next_index]
  next_index = next_index % #requests + 1
  return r
end

function done(summary, latency, _)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "errors": %d, "p50_us": %d, "p99_us": %d}\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
