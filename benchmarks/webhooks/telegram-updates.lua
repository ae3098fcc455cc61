-- wrk script for scripts/bench-webhooks: POSTs Telegram updates to a
-- /hooks/telegram/<token> endpoint, each with an update_id no other request
-- of the run uses (Telegram's update_id is the endpoint's dedupe key, so a
-- repeated id would be acknowledged as a duplicate and store nothing).
--
-- Environment (read once per wrk thread):
--   WH_SECRET_FILE  file holding the endpoint's secret token (sent as
--                   X-Telegram-Bot-Api-Secret-Token). Read from a file so
--                   the token is never in argv, ps or a log.
--   WH_ID_BASE      first update_id of this run (default 1); runs of one
--                   benchmark use disjoint ranges.
--   WH_LIMIT        stop each thread after this many answers (0 or unset:
--                   run for wrk's -d duration). A thread may send up to its
--                   connection count more before it stops; the database
--                   count, not this, is the number of events.
--   WH_TEXT         message text (default "price?").
--
-- update_id = WH_ID_BASE + thread index * 10^9 + per-thread counter.

local threads = {}
local counter = 0

function setup(thread)
    thread:set("index", #threads)
    table.insert(threads, thread)
end

local function read_secret()
    local path = os.getenv("WH_SECRET_FILE")
    if path == nil or path == "" then error("WH_SECRET_FILE is not set") end
    local f = assert(io.open(path, "r"))
    local secret = f:read("*l")
    f:close()
    if secret == nil or secret == "" then error("empty secret file") end
    return secret
end

local function json_string(s)
    return '"' .. s:gsub('[%c"\\]', function(c) return string.format("\\u%04x", c:byte()) end) .. '"'
end

function init(args)
    base = tonumber(os.getenv("WH_ID_BASE") or "1") + index * 1000000000
    limit = tonumber(os.getenv("WH_LIMIT") or "0")
    text = json_string(os.getenv("WH_TEXT") or "price?")
    answered = 0
    non200 = 0
    wrk.method = "POST"
    wrk.headers["Content-Type"] = "application/json"
    wrk.headers["X-Telegram-Bot-Api-Secret-Token"] = read_secret()
    if limit > 0 then
        -- Defined only when needed: wrk parses every response for a script
        -- that has a response() function, which costs wrk CPU.
        response = function(status, headers, body)
            answered = answered + 1
            if status ~= 200 then non200 = non200 + 1 end
            if answered >= limit then wrk.thread:stop() end
        end
    end
end

function request()
    local id = base + counter
    counter = counter + 1
    local chat = 100000 + counter % 1000
    local body = '{"update_id":' .. string.format("%d", id) ..
        ',"message":{"message_id":' .. counter ..
        ',"from":{"id":' .. chat .. ',"is_bot":false,"first_name":"Ana","username":"ana_bench","language_code":"en"}' ..
        ',"chat":{"id":' .. chat .. ',"first_name":"Ana","username":"ana_bench","type":"private"}' ..
        ',"date":1700000000,"text":' .. text .. '}}'
    return wrk.format(nil, nil, nil, body)
end
