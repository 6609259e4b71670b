# The HTTP layer: a request that took too long, a server that is full.
http-timeout-title = Gaty uzak wagt aldy
http-timeout = Serwer gaty uzak wagtlap jogap bermedi we bu haýyşy togtatdy. Ugradanyňyzy täzeden ibermezden öň, onuň ýatda saklanandygyny barlaň.
http-busy = goldaw häzir gaty meşgul. Bir minutdan soň täzeden synanyşyň.
