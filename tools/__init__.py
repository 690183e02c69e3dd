"""Developer and operator tools: training, starting the stack, evaluation."""
