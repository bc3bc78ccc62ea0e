"""案例汇编: print-ready PDF compilations of cases (a session's or an event's running order, a
theme, a search result or a hand-picked list), laid out by WeasyPrint with the Noto CJK fonts.
Small ones are built at once; larger ones by a background worker with visible progress. Each is
kept until a case in it changes (the cache key holds every case's last change)."""
