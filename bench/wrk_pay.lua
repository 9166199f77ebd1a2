-- wrk script: first pay requests for new merchant orders against oncepayd,
-- for the same-settings comparison with nginx's fixed response
-- (docs/PERFORMANCE.md). wrk -t1 -c64 -d10s -s bench/wrk_pay.lua http://127.0.0.1:PORT
local counter = 0
local run = tostring(os.time())
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer sk_test_demo"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"amount":1999,"currency":"CNY","channel":"sandbox","subject":"bench"}'

request = function()
  counter = counter + 1
  return wrk.format(nil, "/v1/orders/wrk-" .. run .. "-" .. counter .. "/pay")
end
