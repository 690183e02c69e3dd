"""The NLU review inbox: messages the bot did not understand well, labelled by staff, exported as training data."""
