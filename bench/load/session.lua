-- wrk -s bench/load/session.lua URL: each request carries the cookies of one signed-in browser,
-- taking the browsers in turn. PORTAL_COOKIES holds one "Cookie:" header value per line
-- (bench/load/run.py signs the accounts in and sets it).
local cookies = {}
for line in string.gmatch(os.getenv("PORTAL_COOKIES") or "", "[^\n]+") do
  table.insert(cookies, line)
end
local n = 0

request = function()
  n = n + 1
  local headers = {}
  if #cookies > 0 then
    headers["Cookie"] = cookies[(n % #cookies) + 1]
  end
  return wrk.format(nil, nil, headers)
end
