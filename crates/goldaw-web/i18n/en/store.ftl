# Refusals of input by the store (goldaw-store `StoreError::Invalid` with `.saying(key, …)`):
# the pages show these in the reader's language; the API and the command line keep the English
# message of the store. A test holds every key used in the store to these files.
store-text-too-long = This text is longer than { $limit } characters: shorten it, or attach it as a document.
store-case-unit-not-etrap = { $unit } is not an etrap: a case belongs to an etrap's (or a city's) team.
store-person-not-in-scope = There is no such person in your area: find or register the person first.
store-transfer-unit-missing = Choose the etrap the case moves to.
store-transfer-same-unit = The case is already in this etrap.
store-allocate-closed = A closed case is not allocated: reopen it first.
store-worker-not-assignable = { $sensitive ->
    [1] { $user } is not an active social worker of { $unit } with the permission for sensitive cases.
   *[0] { $user } is not an active social worker of { $unit }.
}
store-note-empty = Write what happened: a note needs some text.
store-note-future = A note records what happened: its time lies in the future.
store-plan-not-now = A support plan is made after the holistic assessment and revised while support runs; this case is at “{ $status }”.
store-plan-goal-count = A plan needs 1 to { $limit } goals.
store-plan-action-count = A plan has at most { $limit } actions.
store-plan-views-missing = The person disagrees: write their views in their own words.
store-plan-agreement-missing = Record whether the person agrees with the plan before submitting it.
store-plan-status = The plan is “{ $status }”, not “{ $expected }”: open it again to see what changed.
store-review-kind-missing = Choose the kind of review.
store-review-future = A review is recorded once it is held: its date lies in the future.
store-review-rating-range = Rate each goal from 0 to 10.
store-review-plan-not-now = A plan review is held while support runs (active support or monitoring).
store-review-closing-closed = The closing review is held before the case is closed.
store-review-follow-up-open = Outcome follow-ups are held after the case is closed.
store-review-goal-unknown = A goal is not in the approved plan, or is rated twice: open the review again.
store-review-goals-unrated = Rate every goal of the plan ({ $rated } of { $count } rated).
store-legal-basis-future = The date of the court order or referral lies in the future.
store-provider-act-future = The date lies in the future.
store-delivery-future = The date of the service lies in the future.
store-refer-own-work = The etrap social work service and the hotline are not referred to: they are the case's own work.
store-refer-not-household = Refer the case's person or a member of their household.
store-refer-universal-offer = Universal services are referred to by naming the school, clinic or office, not a provider's offer.
store-refer-recipient-missing = Name the school, clinic or office the person is referred to.
store-refer-offer-missing = Choose the provider's offer to refer to.
store-refer-offer-unknown = There is no such offer of a provider: open the page again and choose one.
store-point-ended = This service point has ended: choose an open one, or reopen it first.
store-point-has-offers = Active offers are delivered at this service point ({ $detail }): end them or move them to another point first.
store-decline-reason-missing = Say why the referral is declined.
store-assessment-completed = The assessment is completed and kept as it was: start a new one to assess again.
store-assessment-draft-exists = A draft “{ $name }” assessment of this case exists: continue it.
store-assessment-person-missing = The initial assessment includes the case's person, who answers the questions about the household.
store-username-form = “{ $user }” is not a username: use 3 to 64 lower-case letters, digits, “.”, “_” or “-”.
store-username-taken = The username “{ $user }” is taken.
store-password-short = The password must have at least { $limit } characters.
store-password-long = The password is longer than { $limit } characters.
store-password-username = The password must not contain the username.
store-password-repeated = The password must not be one character repeated.
store-password-wrong = The current password is wrong.
store-password-same = The new password must differ from the current one.
store-scope-unit-unknown = { $unit } is not a known administrative unit.
store-scope-provider-only = Only provider staff have a provider scope.
store-scope-provider-needed = Provider staff need a provider scope: provider:ID.
store-unsuppressed-not-allowed = Only planners and the ministry may be granted unsuppressed statistics.
store-self-demotion = You cannot take the admin role from your own account or disable it: ask another admin.
store-account-disabled = The account “{ $user }” is disabled.
store-person-exists = A person with the id “{ $name }” already exists.
store-household-exists = A household with the id “{ $name }” already exists.
store-household-unknown = There is no household with the id “{ $name }” in your area.
store-provider-id-form = A provider's id is letters, digits and punctuation only, without spaces.
store-provider-exists = A provider with the id “{ $name }” is already registered.
store-places-negative = The number of places cannot be negative.
store-offer-universal = Universal services belong to other sectors: refer to them by naming the school, clinic or office, without an offer.
store-point-unknown = This provider has no such service point.
store-offer-exists = This offer exists already: open the page again to change it.
store-holiday-names = A holiday needs its name in all three languages.
