# Ýurt boýunça adamlar (mesele #19): gözleg, gaýtalanmalar, adamyň we maşgalanyň sahypalary.
store-people-birth-year = { $year } doglan ýyly { $from } bilen { $to } aralygynda däl.
