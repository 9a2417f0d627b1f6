"""The casetrail domain: cases, their rules, events and working-day maths."""
