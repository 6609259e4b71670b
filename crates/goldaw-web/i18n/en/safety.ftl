# Safe pages on a shared device (issue #18): the quick exit, hidden names, safety plans.
quick-exit = Quick exit
quick-exit-hint = Leave this page at once (or press Escape twice)
