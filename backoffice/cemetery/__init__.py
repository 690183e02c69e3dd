"""Cemetery visit booking (祭扫预约) for 清明 and 冬至: cemeteries, gates, time slots, bookings, waiting list."""
