# Umumy enjamda howpsuz sahypalar (mesele №18): çalt çykyş, gizlin atlar, howpsuzlyk meýilnamalary.
quick-exit = Çalt çykyş
quick-exit-hint = Bu sahypadan derrew çykmak (ýa-da Escape düwmesine iki gezek basmak)
