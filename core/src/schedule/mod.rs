//! Scheduling: practitioners and rooms, availability in the practitioner's
//! own time zone, visit types, free slots, appointments on the FHIR life
//! cycle, recurring series and reminders. The store guarantees that no
//! practitioner, room or patient holds two overlapping active appointments.

pub mod fhir;
mod model;
pub mod slots;
pub mod validate;

pub use model::{
    Appointment, AppointmentCount, AppointmentQuery, AppointmentStatus, Availability,
    BookAppointment, BusyQuery, BusySpan, CancelAppointment, Cancellation, CancellationReason,
    CountQuery, CountRange, DateException, DayLimitCheck, DueReminder, NewPractitioner,
    NewResource, NewVisitType, Practitioner, Recurrence, Reminder, Reschedule,
    RescheduleAppointment, Resource, ResourceKind, Slot, SlotPage, SlotQuery, TimeOff, TimeWindow,
    VisitType, Weekday, WeeklyHours,
};
