# The HTTP layer: a request that took too long, a server that is full.
http-timeout-title = Taking too long
http-timeout = The server took too long to answer and stopped this request. Check whether what you sent was saved before you send it again.
http-busy = goldaw is busy right now. Please try again in a minute.
