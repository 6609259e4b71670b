# People at national scale (issue #19): search, duplicates, person and household pages.
store-people-birth-year = The birth year { $year } is not between { $from } and { $to }.
