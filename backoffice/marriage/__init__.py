"""Marriage registration (婚姻登记): offices, slots, appointments."""
