"""The Flask action server: Rasa's custom actions, speaking to the back-office."""
