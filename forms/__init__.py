"""WTForms forms, one per action a user takes (``<Noun><Action>Form``)."""
