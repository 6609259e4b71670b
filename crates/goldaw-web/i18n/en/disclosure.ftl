# Protection against differencing (issue #16, item 10): calendar periods and perturbed counts for
# readers without the grant to see unsuppressed statistics. Keys: disclosure-*, and the note
# indicator-note-perturbed published with a table.
disclosure-period-not-calendar = { $from } to { $to } is not a whole calendar month, quarter or year. Without the grant to see unsuppressed statistics, choose a month, a quarter or a year (for example with the quick choices): two periods a few days apart could otherwise be subtracted to reveal a few people.
indicator-note-perturbed = Counts are perturbed by up to 3 so that tables cannot be subtracted to reveal a few people: the same cell shows the same value everywhere, and a total is not the sum of its rows.
disclosure-planning-protected = Counts of people are perturbed by up to 3 so that plans cannot be compared to reveal a few people. Where a count is small (below 5; below 10 for S10 and S11) it is withheld, and the line's need is the population estimate. Exact counts need the grant to see unsuppressed statistics.
disclosure-planning-withheld = small count withheld: population estimate
