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
store-scope-unit-unknown = { $unit } is an unknown administrative unit.
store-scope-provider-only = Only provider staff have a provider scope.
store-scope-provider-needed = Provider staff need a provider scope: provider:ID.
store-unsuppressed-not-allowed = Only planners and the ministry may be granted unsuppressed statistics.
store-self-demotion = You cannot take the admin role from your own account or disable it: ask another admin.
store-account-disabled = The account “{ $user }” is disabled or not approved.
store-person-exists = A person with the id “{ $name }” already exists.
store-household-exists = A household with the id “{ $name }” already exists.
store-household-unknown = There is no such household in your area: unknown household '{ $name }'.
store-provider-id-form = A provider's id is letters, digits and punctuation only, without spaces.
store-provider-exists = A provider with the id “{ $name }” is already registered.
store-places-negative = The number of places cannot be negative.
store-offer-universal = Universal services belong to other sectors: refer to them by naming the school, clinic or office, without an offer.
store-point-unknown = This provider has no such service point.
store-offer-exists = This offer exists already: open the page again to change it.
store-holiday-names = A holiday needs its name in all three languages.
store-merge-already-undone = This merge was already undone.
store-merge-merged-since = One of the two records was merged again since. Undo that merge first.
store-merge-later-merge = Another record was merged into the kept one later. Undo that merge first.
# A referral to a service: an action out of its order (goldaw_core::service_referrals::ReferralRefusal).
store-referral-out-of-order = “{ $action }” is not possible while the referral is “{ $status }”: open it again to see what changed.
store-referral-action-accept = Accept
store-referral-action-wait = Put on the waiting list
store-referral-action-decline = Decline
store-referral-action-start = Start the service
store-referral-action-deliver = Record units delivered
store-referral-action-complete = Complete
store-referral-action-cancel = Cancel the referral

# Keys of the refusals branch (issue #17, item 7): the English of each refusal is its en text here.
# People, households, statistics, planning, the audit anchor.
store-address-too-long = The address is longer than { $limit } characters: shorten it.
store-address-control = The address contains a control character: type it again without it.
store-birth-date-future = The birth date { $date } lies in the future.
store-birth-date-early = The birth date { $date } is before { $from }: check the year.
store-place-unknown = { $unit } is an unknown administrative unit (see the admin_units reference data).
store-place-country = Give the velayat or etrap, not the whole country.
store-indicator-dimension = The { $indicator } indicator cannot be split by '{ $dimension }': it accepts { $detail }.
store-min-cell-protection = With counts hidden below { $limit }, a hidden count is known to lie between 1 and { $to }: too narrow to protect. Choose { $number } or more.
store-breakdown-too-fine = This breakdown is too fine to publish safely even with suppression: use fewer dimensions or a longer period.
store-breakdown-failed = This breakdown cannot be built ({ $detail }): use other dimensions.
store-period-too-early-for-ages = The period ends too early to band ages: choose a later period.
store-rate-range = { $service }: a rate is a share between 0 and 1, not { $rate }.
store-audit-anchor-form = “{ $value }” { $reason ->
    [colon] has no colon
    [number] does not start with an event number
   *[digits] does not end with 64 hexadecimal digits
}: an anchor is SEQ:HASH as goldaw audit anchor prints it, an event number, a colon and 64 hexadecimal digits.
# Referrals and providers (providers/, service_referrals/, provider_inbox/).
store-field-required = { $field } is required: fill it in.
store-field-too-long = { $field } is longer than { $limit } characters: shorten it.
store-service-unknown = There is no such service: unknown service code '{ $service }' (S01..S12, ETRAP_SW, HOTLINE, RES_CARE or U_*; see the service catalogue).
store-refer-offer-other-service = This offer is for { $service }, not { $expected }: choose an offer of that service.
store-refer-offer-inactive = This offer is no longer active: choose another one.
store-refer-offer-other-unit = This offer serves { $area }, not the case's etrap { $unit }: choose an offer there.
store-refer-offer-recipient = A referral to a provider's offer names no other recipient.
store-referral-reason-decline-only = A reason and a note go with a decline only.
store-referral-complete-before-start = The service started on { $date }: it cannot be completed before that.
store-delivery-units-range = Record between 1 and 10000 units.
store-delivery-before-start = The date of the service lies before the service started.
# Plans and assessments (cases/).
store-plan-text-empty = { $field } may not be empty: write it.
store-plan-action-goal-unknown = Action { $action } names goal { $number }, which the plan does not have (goals count from 0).
store-plan-action-service-unknown = Action { $action }: '{ $service }' is not a service of the catalogue.
store-assessment-persons-count = An assessment includes at most { $limit } people.
store-assessment-person-outside = { $name } is neither the case's person nor a member of their household.
store-assessment-person-twice = { $name } is listed twice.
store-assessment-instrument-unknown = '{ $value }' is not an assessment instrument in force (choose one of: { $detail }).
store-assessment-outcome-review = The outcome review is recorded with the plan review, not as an assessment.
store-assessment-answers-count = Save at most { $limit } answers at once.
store-answer-person-outside = Answer to item '{ $field }': { $name } is not among the people of this assessment.
store-answer-item-unknown = Answer to item '{ $field }' for { $name }: there is no such item in instrument '{ $value }' version { $number }.
store-answer-refused = Answer to item '{ $field }' for { $name }: { $detail }
store-answers-refused = { $count ->
    [0] { $detail }
   *[other] { $detail } (and { $count } more)
}
store-answers-missing = { $count } required answer(s) missing: { $detail }

# The web's own refusals (made with StoreError::refuse, so their English is this text too).
store-chart-too-many-steps = The period { $from } to { $to } has more than { $limit } steps for a chart: choose a longer step or a shorter period.
store-role-scope-unknown = This role or scope is not one goldaw knows: choose the role from the list and give the scope as the country (TM), a velayat (TM-A), an etrap (TM-A-01) or provider:ID.
