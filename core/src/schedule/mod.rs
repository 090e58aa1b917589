//! Scheduling: practitioners and rooms, availability in the practitioner's
//! own time zone, visit types, free slots, appointments on the FHIR life
//! cycle, recurring series and reminders. The store guarantees that no
//! practitioner, room or patient holds two overlapping active appointments.

pub mod fhir;
mod model;
pub mod slots;
pub mod validate;
pub mod zone;

pub use model::{
    Appointment, AppointmentStatus, Availability, BookAppointment, CancelAppointment, Cancellation,
    CancellationReason, DateException, NewPractitioner, NewResource, NewVisitType, Practitioner,
    Recurrence, Reminder, Reschedule, RescheduleAppointment, Resource, ResourceKind, TimeOff,
    TimeWindow, VisitType, Weekday, WeeklyHours,
};
pub use model::{
    AppointmentCount, AppointmentQuery, BusyQuery, BusySpan, CountQuery, CountRange, DayLimitCheck,
    DueReminder, Slot, SlotPage, SlotQuery,
};
