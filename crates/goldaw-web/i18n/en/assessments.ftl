# Assessments recorded against the instruments (pages/assessments.rs). The questions and answer
# labels come from the instrument files (reference/instruments), not from here.
assessments-title = Assessments
assessment-none = No assessment yet.
assessment-instrument = Instrument
assessment-instrument-version = { $name }, version { $number }
assessment-when = Started or completed
assessment-open = Open
assessment-continue = Continue
assessment-status-draft = Draft
assessment-status-completed = Completed
assessment-start = Start: { $name }
assessment-persons = Who is assessed
assessment-respondent = answers for the household
assessment-person-age = { $name }, { $count ->
    [one] { $count } year
   *[other] { $count } years
}
assessment-hint-initial = Do the initial assessment with the person first: the screening is concluded from it.
assessment-hint-holistic = Do a holistic assessment with the person first: the support plan is built on it.
assessment-proposal = The initial assessment proposes: { $name }. Why: { $detail }
assessment-needs-title = Needs found by the holistic assessment
assessment-need-line = { $name } ({ $detail }): { $status }
assessment-back-to-case = Back to case { $number }
assessment-steps = Parts of the assessment
assessment-position = Part { $number } of { $count }
assessment-check = Check and complete
assessment-notes = Strengths and the person's own words
assessment-strengths = Strengths: what works, who helps
assessment-own-words = In the person's own words
assessment-next = Save and continue
assessment-save = Save the draft
assessment-previous = Save and go back
assessment-answer-it = Answer it
assessment-missing-count = { $count ->
    [one] One required answer is still missing:
   *[other] { $count } required answers are still missing:
}
assessment-missing-line = { $name } — { $detail }
assessment-nothing-missing = Every required answer is given.
assessment-complete-help = Once completed, the assessment is kept as it is, and the Washington Group answers are written to each person's record.
assessment-complete = Complete the assessment
assessment-incomplete = The assessment cannot be completed yet: answer the questions listed below.
assessment-author = Recorded by
assessment-started = Started
assessment-completed = Completed
assessment-proposed-priority = Proposed priority
assessment-col-question = Question
assessment-col-person = Person
assessment-col-answer = Answer
assessment-not-answered = (not answered)
action-assessment_started = Assessment started
action-assessment_completed = Assessment completed
refusal-initial_assessment_missing = Complete the initial assessment with the person first: the screening is concluded from it.
refusal-holistic_assessment_missing = Complete a holistic assessment with the person first: the support plan is built on it.
refusal-assessment_not_now = No assessment of this kind while the case is at “{ $status }”: the initial assessment belongs to the screening, the holistic assessment to its own step.
