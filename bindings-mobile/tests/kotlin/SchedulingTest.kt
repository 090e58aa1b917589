// Scheduling through the Kotlin binding: practitioners, rooms, visit types,
// free slots, appointments, series, access, reminders, events and FHIR R4
// JSON (crossing as JSON text, compared structurally). The rules
// live in core (core/tests/scheduling.rs); these tests exercise them through
// the generated `org.carebase` package. Registered in CarebaseTest.kt.
//
// Binding clinics run on the system clock, so every date is a Monday in
// 2030 (inside the visit type's 10-year horizon). Berlin is UTC+1 in January.

import org.carebase.*
import org.carebase.mobile.*
import java.time.Instant
import java.time.LocalDate
import java.time.LocalTime
import java.util.UUID

const val MONDAY = "2030-01-07"
const val MONDAY_2 = "2030-01-14"
const val MONDAY_3 = "2030-01-21"

/** The instant at Berlin wall-clock `time` (`HH:MM`) on `day`. */
fun berlin(time: String, day: String = MONDAY): Instant =
    java.time.OffsetDateTime.parse("${day}T$time:00+01:00").toInstant()

/** The same instant as the binding returns it (a `java.time.Instant`). */
fun utc(time: String, day: String = MONDAY): Instant = berlin(time, day)

/** A wall-clock time, `HH:MM`. */
fun t(text: String): LocalTime = LocalTime.parse(text)

/** A calendar date, `yyyy-mm-dd`. */
fun d(text: String): LocalDate = LocalDate.parse(text)

/** Mondays 09:00–17:00, 30-minute slot grid. */
fun mondays() = Availability(
    weekly = listOf(WeeklyHours(weekday = Weekday.MONDAY, start = t("09:00"), end = t("17:00"))),
    slotMinutes = 30,
)

class Schedule(
    val c: Clinic,
    val doctor: Practitioner,
    val visit: VisitType,
    val room: Resource,
    val patients: List<Patient>,
) {
    fun booking(patient: Patient, time: String, day: String = MONDAY, note: String? = null) = BookAppointment(
        patient = patient.id, practitioner = doctor.id, visitType = visit.id, start = berlin(time, day), note = note,
    )

    suspend fun book(patient: Patient, time: String, day: String = MONDAY, who: Actor = desk, note: String? = null) =
        c.bookAppointment(who, booking(patient, time, day, note))

    /** Free 30-minute consultations with the doctor on the first Monday. */
    fun slots(limit: Int? = null) = SlotQuery(
        visitType = visit.id, practitioners = listOf(doctor.id), from = berlin("00:00"), to = berlin("23:59"), limit = limit,
    )

    /** Appointments starting in January 2030. */
    fun january(patient: UUID? = null, practitioner: UUID? = null) = AppointmentQuery(
        from = berlin("00:00", "2030-01-01"), to = berlin("00:00", "2030-02-01"), patient = patient, practitioner = practitioner,
    )
}

/** A clinic with one practitioner (Mondays), a 30-minute visit type with a 24 h reminder, a room and `patients`. */
suspend fun schedule(patients: Int = 2, settings: Settings = settings()): Schedule {
    val c = Clinic.open("memory:", settings)
    val doctor = c.addPractitioner(
        admin, NewPractitioner(name = "Dr Kotlin", timeZone = "Europe/Berlin", availability = mondays()),
    )
    val visit = c.addVisitType(
        admin,
        NewVisitType(
            code = "consult", name = "Consultation", durationMinutes = 30, horizonDays = 3650,
            reminderOffsetsMinutes = listOf(1440),
        ),
    )
    val room = c.addResource(admin, NewResource(kind = ResourceKind.ROOM, name = "Room 1", timeZone = "Europe/Berlin"))
    val registered = (1..patients).map { c.register(details("Booker", "N$it", "1980-01-0$it")) }
    return Schedule(c, doctor, visit, room, registered)
}

// ------------------------------------------------------------------ set-up

suspend fun adminsDefineTheSchedule() {
    val s = schedule(patients = 0)
    eq(listOf(s.doctor.id), s.c.listPractitioners(desk).map { it.id }, "practitioners")
    val read = s.c.getPractitioner(desk, s.doctor.id)
    eq(mondays(), read.availability, "availability round trip")
    eq("Europe/Berlin", read.timeZone, "zone")
    eq(1L, read.version, "version")
    eq(listOf(s.visit), s.c.listVisitTypes(desk), "visit types")
    eq(listOf(1440), s.visit.reminderOffsetsMinutes, "reminder offsets")
    eq(listOf(s.room), s.c.listResources(desk), "rooms")
    eq(ResourceKind.ROOM, s.room.kind, "kind")
    val known = newId()
    eq(known, s.c.addPractitioner(admin, NewPractitioner(name = "Dr Known", timeZone = "UTC", id = known)).id, "host id kept")
    check(s.c.explainAccess(admin, Permission.SCHEDULE_MANAGE).allowed) { "admin manages the schedule" }
    val e = throws<CarebaseException.Forbidden> {
        s.c.addPractitioner(desk, NewPractitioner(name = "Dr Desk", timeZone = "Europe/Berlin"))
    }
    eq(Permission.SCHEDULE_MANAGE, e.reason.permission, "permission")
}

suspend fun availabilityIsReplacedAtItsVersion() {
    val s = schedule(patients = 0)
    val fridays = Availability(
        weekly = listOf(WeeklyHours(weekday = Weekday.FRIDAY, start = t("08:30"), end = t("12:00"), validFrom = d("2030-01-01"))),
        exceptions = listOf(
            DateException(date = d("2030-01-11")),
            DateException(date = d("2030-01-12"), extraHours = TimeWindow(start = t("10:00"), end = t("11:15"))),
        ),
        timeOff = listOf(TimeOff(start = berlin("08:30", "2030-01-18"), end = berlin("12:00", "2030-01-18"), reason = "congress")),
        slotMinutes = 15,
        maxPerDay = 8,
    )
    val updated = s.c.setAvailability(admin, s.doctor.id, 1L, fridays)
    eq(2L, updated.version, "version")
    eq(fridays.weekly, updated.availability.weekly, "weekly")
    eq(fridays.exceptions, updated.availability.exceptions, "exceptions")
    eq(utc("08:30", "2030-01-18"), updated.availability.timeOff.single().start, "time off in UTC")
    eq(8, updated.availability.maxPerDay, "max per day")
    val stale = throws<CarebaseException.Conflict> { s.c.setAvailability(admin, s.doctor.id, 1L, mondays()) }
    check(stale.detail is ConflictDetail.StaleVersion) { "stale: ${stale.detail}" }
}

// ------------------------------------------------------------------ slots and booking

suspend fun freeSlotsPageWithACursor() {
    val s = schedule(patients = 0)
    val seen = mutableListOf<Slot>()
    var cursor: String? = null
    var pages = 0
    do {
        val page = s.c.findFreeSlots(desk, s.slots(limit = 5).copy(cursor = cursor))
        check(page.slots.size <= 5) { "page size ${page.slots.size}" }
        seen += page.slots
        cursor = page.nextCursor
        pages++
    } while (cursor != null && pages < 10)
    eq(4, pages, "pages")
    eq(16, seen.size, "09:00–17:00 every 30 minutes")
    eq(16, seen.map { it.start }.toSet().size, "no slot twice")
    eq(utc("09:00"), seen.first().start, "first start")
    eq(utc("09:30"), seen.first().end, "first end")
    eq(utc("16:30"), seen.last().start, "last start")
    eq(seen.sortedBy { it.start }, seen, "ordered by start")
    check(seen.all { it.practitioner == s.doctor.id && it.room == null }) { "doctor, no room" }
}

suspend fun bookingTakesTheSlot() {
    val s = schedule(patients = 1)
    val p = s.patients[0]
    val a = s.book(p, "09:00")
    eq(AppointmentStatus.BOOKED, a.status, "status")
    eq(1L, a.version, "version")
    eq(p.id, a.patient, "patient")
    eq(utc("09:00"), a.start, "start")
    eq(utc("09:30"), a.end, "end")
    eq(desk.id, a.bookedBy, "booked by")
    eq(listOf(1440), a.reminders.map { it.offsetMinutes }, "reminders")
    eq(a, s.c.getAppointment(desk, a.id), "read back")
    val free = s.c.findFreeSlots(desk, s.slots(limit = 100)).slots.map { it.start }
    check(utc("09:00") !in free) { "09:00 taken" }
    eq(15, free.size, "one slot fewer")
}

suspend fun doubleBookingNamesTheFirstAppointment() {
    val s = schedule(patients = 2)
    val first = s.book(s.patients[0], "09:00")
    val e = throws<CarebaseException.DoubleBooking> { s.book(s.patients[1], "09:00") }
    eq(BookedResource.PRACTITIONER, e.resource, "resource")
    eq(first.id, e.appointment, "the appointment holding the slot")
    eq(listOf(first.id), s.c.listAppointments(desk, s.january(practitioner = s.doctor.id)).map { it.id }, "nothing written")
}

suspend fun aStartOutsideHoursIsRejectedOnStart() {
    val s = schedule(patients = 1)
    val e = throws<CarebaseException.Validation> { s.book(s.patients[0], "07:00") }
    eq(listOf("start"), e.paths(), "field")
    eq("outside_hours", e.fields.single().code, "code")
}

suspend fun rescheduleKeepsWhereItWas() {
    val s = schedule(patients = 1)
    val a = s.book(s.patients[0], "09:00")
    val moved = s.c.rescheduleAppointment(desk, a.id, a.version, RescheduleAppointment(start = berlin("10:00")))
    eq(2L, moved.version, "version")
    eq(utc("10:00"), moved.start, "new start")
    val was = moved.reschedules.single()
    eq(utc("09:00"), was.fromStart, "from start")
    eq(utc("09:30"), was.fromEnd, "from end")
    eq(s.doctor.id, was.fromPractitioner, "from practitioner")
    eq(desk.id, was.by, "by")
    eq(moved, s.c.getAppointment(desk, a.id), "stored")
    val stale = throws<CarebaseException.Conflict> {
        s.c.rescheduleAppointment(desk, a.id, 1L, RescheduleAppointment(start = berlin("11:00")))
    }
    check(stale.detail is ConflictDetail.StaleVersion) { "stale: ${stale.detail}" }
}

suspend fun cancellingRecordsReasonAndFreesTheSlot() {
    val s = schedule(patients = 1)
    val a = s.book(s.patients[0], "09:00")
    val cancelled = s.c.cancelAppointment(desk, a.id, a.version, CancelAppointment(reason = CancellationReason.PAT, note = "called in"))
    eq(AppointmentStatus.CANCELLED, cancelled.status, "status")
    val why = cancelled.cancellation!!
    eq(CancellationReason.PAT, why.reason, "reason")
    eq("called in", why.note, "note")
    eq(desk.id, why.by, "by")
    check(!why.late) { "years ahead is not late" }
    check(cancelled.reminders.isEmpty()) { "no reminders left" }
    check(utc("09:00") in s.c.findFreeSlots(desk, s.slots(limit = 100)).slots.map { it.start }) { "slot free again" }
}

suspend fun cancellingInsideTheLateWindowIsFlagged() {
    val tenYears = java.time.Duration.ofDays(3650)
    eq(java.time.Duration.ofHours(24), defaultSettings().lateCancellationWindow, "default window")
    val s = schedule(patients = 1, settings = settings().copy(lateCancellationWindow = tenYears))
    eq(tenYears, s.c.settings().lateCancellationWindow, "setting round trip")
    val a = s.book(s.patients[0], "09:00")
    val cancelled = s.c.cancelAppointment(desk, a.id, a.version, CancelAppointment(reason = CancellationReason.PAT))
    check(cancelled.cancellation!!.late) { "inside the window" }
}

suspend fun aBadStatusTransitionIsAValidationError() {
    val s = schedule(patients = 1)
    val a = s.book(s.patients[0], "09:00")
    val e = throws<CarebaseException.Validation> {
        s.c.changeAppointmentStatus(desk, a.id, a.version, AppointmentStatus.FULFILLED)
    }
    val field = e.fields.single()
    eq("status", field.field, "field")
    eq("invalid_transition", field.code, "code")
    check(field.message.contains("booked to fulfilled")) { "message: ${field.message}" }
    val arrived = s.c.changeAppointmentStatus(desk, a.id, a.version, AppointmentStatus.ARRIVED)
    eq(AppointmentStatus.FULFILLED, s.c.changeAppointmentStatus(desk, a.id, arrived.version, AppointmentStatus.FULFILLED).status, "allowed path")
}

suspend fun aSeriesBooksEveryOccurrence() {
    val s = schedule(patients = 1)
    val series = s.c.bookSeries(
        desk, BookSeries(first = s.booking(s.patients[0], "09:00"), recurrence = Recurrence(everyWeeks = 1, count = 3)),
    )
    eq(listOf(utc("09:00"), utc("09:00", MONDAY_2), utc("09:00", MONDAY_3)), series.map { it.start }, "weekly starts")
    val id = series.first().series
    check(id != null && series.all { it.series == id }) { "one series id: ${series.map { it.series }}" }
}

suspend fun aCollidingSeriesWritesNothing() {
    val s = schedule(patients = 2)
    s.book(s.patients[1], "09:00", MONDAY_3)
    // Core checks every occurrence and names each one that cannot be booked.
    val e = throws<CarebaseException.Validation> {
        s.c.bookSeries(
            desk, BookSeries(first = s.booking(s.patients[0], "09:00"), recurrence = Recurrence(everyWeeks = 1, count = 3)),
        )
    }
    eq(listOf("occurrences[2].start"), e.paths(), "the third occurrence collides")
    eq("taken", e.fields.single().code, "code")
    eq(0, s.c.listAppointments(desk, s.january(patient = s.patients[0].id)).size, "no occurrence written")
}

suspend fun appointmentsAreListedByPatientAndPractitioner() {
    val s = schedule(patients = 2)
    val (p0, p1) = s.patients
    val a = s.book(p0, "09:00")
    val b = s.book(p1, "10:00")
    val c = s.book(p0, "11:00", MONDAY_2)
    eq(listOf(a.id, c.id), s.c.listAppointments(desk, s.january(patient = p0.id)).map { it.id }, "by patient")
    eq(listOf(a.id, b.id, c.id), s.c.listAppointments(desk, s.january(practitioner = s.doctor.id)).map { it.id }, "by practitioner")
    s.c.cancelAppointment(desk, b.id, b.version, CancelAppointment(reason = CancellationReason.PROV))
    eq(2, s.c.listAppointments(desk, s.january(practitioner = s.doctor.id)).size, "cancelled left out")
    eq(3, s.c.listAppointments(desk, s.january(practitioner = s.doctor.id).copy(includeInactive = true)).size, "unless asked")
    eq(listOf("patient"), throws<CarebaseException.Validation> { s.c.listAppointments(desk, s.january()) }.paths(), "one of them needed")
}

// ------------------------------------------------------------------ access

suspend fun patientsBookOnlyTheirOwnAppointments() {
    val s = schedule(patients = 2)
    val (mine, theirs) = s.patients
    val me = patientActor(mine.id)
    check(s.c.findFreeSlots(me, s.slots()).slots.isNotEmpty()) { "patients see free slots" }
    val own = s.book(mine, "09:00", who = me)
    eq(me.id, own.bookedBy, "booked by the patient")
    eq(own.id, s.c.getAppointment(me, own.id).id, "reads own")
    val e = throws<CarebaseException.Forbidden> { s.book(theirs, "10:00", who = me) }
    eq(Permission.APPOINTMENT_BOOK, e.reason.permission, "permission")
    val other = s.book(theirs, "10:00")
    throws<CarebaseException.Forbidden> { s.c.getAppointment(me, other.id) }
    throws<CarebaseException.Forbidden> { s.c.cancelAppointment(me, other.id, other.version, CancelAppointment(reason = CancellationReason.PAT)) }
}

suspend fun practitionersSeeTheirOwnScheduleOnly() {
    val s = schedule(patients = 1)
    val other = s.c.addPractitioner(admin, NewPractitioner(name = "Dr Other", timeZone = "Europe/Berlin", availability = mondays()))
    val me = Actor(id = newId(), roles = listOf(Role.PRACTITIONER), practitioner = s.doctor.id)
    val a = s.book(s.patients[0], "09:00")
    eq(listOf(a.id), s.c.listAppointments(me, s.january(practitioner = s.doctor.id)).map { it.id }, "own schedule")
    val e = throws<CarebaseException.Forbidden> { s.c.listAppointments(me, s.january(practitioner = other.id)) }
    eq(Permission.CALENDAR_READ, e.reason.permission, "permission")
    check(e.reason.steps.any { it.relationship == Relationship.OWN_SCHEDULE && !it.held }) { "steps: ${e.reason.steps}" }
    eq(AppointmentStatus.ARRIVED, s.c.changeAppointmentStatus(me, a.id, a.version, AppointmentStatus.ARRIVED).status, "runs own day")
}

// ------------------------------------------------------------------ reminders and events

suspend fun remindersAreDueThenSentOnce() {
    val s = schedule(patients = 1)
    val p = s.patients[0]
    val a = s.book(p, "09:00")
    val (from, to) = berlin("00:00", "2030-01-06") to berlin("00:00")
    val due = s.c.dueReminders(system, from, to, 10).single()
    eq(a.id, due.appointment, "appointment")
    eq(p.id, due.patient, "patient to notify")
    eq(1440, due.offsetMinutes, "offset")
    eq(utc("09:00", "2030-01-06"), due.dueAt, "a day before")
    eq(a.start, due.start, "start")
    s.c.markReminderSent(system, a.id, 1440)
    eq(0, s.c.dueReminders(system, from, to, 10).size, "no longer due")
    throws<CarebaseException.Conflict> { s.c.markReminderSent(system, a.id, 1440) }
    check(s.c.getAppointment(desk, a.id).reminders.single().sentAt != null) { "sent at recorded" }
    throws<CarebaseException.Forbidden> { s.c.dueReminders(desk, from, to, 10) }
}

suspend fun appointmentChangesReachTheOutbox() {
    val s = schedule(patients = 2)
    val (p0, p1) = s.patients
    val a = s.book(p0, "09:00", note = "private note")
    val moved = s.c.rescheduleAppointment(desk, a.id, a.version, RescheduleAppointment(start = berlin("10:00")))
    s.c.changeAppointmentStatus(desk, a.id, moved.version, AppointmentStatus.ARRIVED)
    val b = s.book(p1, "11:00")
    s.c.cancelAppointment(desk, b.id, b.version, CancelAppointment(reason = CancellationReason.PAT, note = "private reason"))
    val events = s.c.pollEvents(system, "relay", 100).filter { it.draft.kind.startsWith("appointment.") }.map { it.draft }
    // each patient's events in the order they happened (ordered per outbox partition)
    eq(
        listOf("appointment.booked", "appointment.rescheduled", "appointment.status_changed"),
        events.filter { it.patient == p0.id }.map { it.kind }, "kinds of the first patient",
    )
    eq(listOf("appointment.booked", "appointment.cancelled"), events.filter { it.patient == p1.id }.map { it.kind }, "kinds of the second")
    val booked = events.first { it.patient == p0.id }
    eq("appointment.booked:${a.id}:1", booked.idempotencyKey, "idempotency key")
    check(booked.payload.contains("\"appointment_id\":\"${a.id}\"")) { "payload: ${booked.payload}" }
    check(events.all { eventSchema(it.kind, it.schemaVersion) != null }) { "schemas published" }
    check(events.none { it.payload.contains("private") }) { "no free text in events" }
}

// ------------------------------------------------------------------ FHIR R4

/** A minimal JSON reader (no JSON library on the test classpath): objects become
 *  maps, arrays lists, numbers BigDecimal with trailing zeros stripped, so `==`
 *  compares documents structurally (key order and number spelling aside). */
class Json(private val s: String) {
    private var i = 0

    companion object {
        fun parse(text: String): Any? = Json(text).run {
            val v = value()
            ws()
            check(i == s.length) { "trailing text at $i" }
            v
        }
    }

    private fun ws() { while (i < s.length && s[i].isWhitespace()) i++ }

    private fun value(): Any? {
        ws()
        return when (val ch = s[i]) {
            '{' -> {
                i++
                val m = linkedMapOf<String, Any?>()
                ws()
                if (s[i] == '}') {
                    i++
                } else {
                    do {
                        ws()
                        val k = string()
                        ws()
                        require(s[i++] == ':') { "':' expected at ${i - 1}" }
                        m[k] = value()
                        ws()
                    } while (s[i++] == ',')
                    require(s[i - 1] == '}') { "'}' expected at ${i - 1}" }
                }
                m
            }
            '[' -> {
                i++
                val l = mutableListOf<Any?>()
                ws()
                if (s[i] == ']') {
                    i++
                } else {
                    do {
                        l += value()
                        ws()
                    } while (s[i++] == ',')
                    require(s[i - 1] == ']') { "']' expected at ${i - 1}" }
                }
                l
            }
            '"' -> string()
            't' -> literal("true", true)
            'f' -> literal("false", false)
            'n' -> literal("null", null)
            else -> {
                require(ch == '-' || ch.isDigit()) { "unexpected '$ch' at $i" }
                val start = i
                while (i < s.length && (s[i].isDigit() || s[i] in "+-.eE")) i++
                java.math.BigDecimal(s.substring(start, i)).stripTrailingZeros()
            }
        }
    }

    private fun literal(word: String, v: Any?): Any? {
        require(s.startsWith(word, i)) { "'$word' expected at $i" }
        i += word.length
        return v
    }

    private fun string(): String {
        require(s[i++] == '"') { "string expected at ${i - 1}" }
        val b = StringBuilder()
        while (true) {
            val ch = s[i++]
            if (ch == '"') return b.toString()
            if (ch != '\\') {
                b.append(ch)
                continue
            }
            when (val e = s[i++]) {
                'n' -> b.append('\n')
                't' -> b.append('\t')
                'r' -> b.append('\r')
                'b' -> b.append('\b')
                'f' -> b.append('\u000c')
                'u' -> {
                    b.append(s.substring(i, i + 4).toInt(16).toChar())
                    i += 4
                }
                else -> b.append(e)
            }
        }
    }
}

@Suppress("UNCHECKED_CAST")
fun Any?.obj(): Map<String, Any?> = this as Map<String, Any?>
@Suppress("UNCHECKED_CAST")
fun Any?.arr(): List<Any?> = this as List<Any?>

/** The official R4 example, read from the shared fixtures (test.sh runs in bindings-mobile/). */
fun appointmentExample(): String =
    listOf("../../shared", "../shared").map { java.io.File("$it/fixtures/fhir/r4-examples/Appointment-example.json") }
        .first { it.isFile }.readText()

/** The JSON text of `resource` with `key` set (or removed when `value` is null); keys keep their order. */
fun withKey(resource: String, key: String, value: String?): String {
    val m = Json.parse(resource).obj().toMutableMap()
    if (value == null) m.remove(key) else m[key] = value
    return writeJson(m)
}

fun writeJson(v: Any?): String = when (v) {
    null -> "null"
    is String -> "\"" + v.flatMap {
        when {
            it == '"' || it == '\\' -> listOf('\\', it)
            it < ' ' -> String.format("\\u%04x", it.code).toList()
            else -> listOf(it)
        }
    }.joinToString("") + "\""
    is Map<*, *> -> v.entries.joinToString(",", "{", "}") { writeJson(it.key as String) + ":" + writeJson(it.value) }
    is List<*> -> v.joinToString(",", "[", "]") { writeJson(it) }
    is java.math.BigDecimal -> v.toPlainString()
    else -> v.toString()
}

/** The schedule plus a `followup` visit type (the example's appointmentType is FOLLOWUP) and the import of the
 *  example: a 2013 record from elsewhere, so a migration import. */
suspend fun fhirImport(s: Schedule, resource: String = appointmentExample()): FhirAppointmentImport {
    s.c.addVisitType(admin, NewVisitType(code = "followup", name = "Follow-up", durationMinutes = 30, horizonDays = 60))
    return FhirAppointmentImport(
        resource = resource,
        references = mapOf(
            "Patient/example" to s.patients[0].id.toString(),
            "Practitioner/example" to s.doctor.id.toString(),
            "Location/1" to s.room.id.toString(),
        ),
        migration = true,
    )
}

suspend fun anImportedFhirAppointmentExportsAsItCame() {
    val s = schedule(patients = 1)
    val original = appointmentExample()
    val a = s.c.importAppointmentFhir(admin, fhirImport(s, original))
    val followup = s.c.listVisitTypes(desk).single { it.code == "followup" }
    eq(followup.id, a.visitType, "visit type by appointmentType code")
    eq(listOf(s.patients[0].id, s.doctor.id, s.room.id), listOf(a.patient, a.practitioner, a.room), "references resolved")
    eq(AppointmentStatus.BOOKED, a.status, "status")
    eq(Instant.parse("2013-12-10T09:00:00Z"), a.start, "the FHIR start kept")
    val exported = s.c.exportAppointmentFhir(desk, a.id)
    eq(Json.parse(withKey(original, "id", a.id.toString())), Json.parse(exported), "the example but for its id")
}

suspend fun aPractitionersScheduleExportsAsAFhirSchedule() {
    val s = schedule(patients = 0)
    val schedule = Json.parse(s.c.exportScheduleFhir(desk, s.doctor.id)).obj()
    eq("Schedule", schedule["resourceType"], "resourceType")
    eq(s.doctor.id.toString(), schedule["id"], "id")
    eq("Practitioner/${s.doctor.id}", schedule["actor"].arr().single().obj()["reference"], "actor")
    throws<CarebaseException.NotFound> { s.c.exportScheduleFhir(desk, newId()) }
}

suspend fun freeSlotsExportAsAFhirBundleOfSlots() {
    val s = schedule(patients = 0)
    val page = s.c.findFreeSlots(desk, s.slots(limit = 4))
    val bundle = Json.parse(s.c.exportFreeSlotsFhir(desk, s.slots(limit = 4))).obj()
    eq("Bundle", bundle["resourceType"], "resourceType")
    eq("searchset", bundle["type"], "type")
    val slots = bundle["entry"].arr().map { it.obj()["resource"].obj() }
    eq(List(4) { "Slot" }, slots.map { it["resourceType"] }, "every entry a Slot")
    eq(List(4) { "free" }, slots.map { it["status"] }, "free")
    eq(
        page.slots.map { it.start },
        slots.map { java.time.Instant.parse(it["start"] as String) }, "the page's slots",
    )
    eq("?cursor=${page.nextCursor}", bundle["link"].arr().single().obj()["url"], "next link")
}

suspend fun aFhirImportWithoutStartNamesStart() {
    val s = schedule(patients = 1)
    val import = fhirImport(s, withKey(appointmentExample(), "start", null))
    val e = throws<CarebaseException.Validation> { s.c.importAppointmentFhir(admin, import) }
    eq(listOf("start"), e.paths(), "field")
    eq("required", e.fields.single().code, "code")
}

// ------------------------------------------------------------------ input

suspend fun schedulingInputThatDoesNotParseNamesEveryField() {
    // Ids, instants, dates and times are UUID / Instant / LocalDate /
    // LocalTime here, so only text-typed input can fail to parse: cursors
    // and FHIR JSON.
    val s = schedule(patients = 1)
    throws<CarebaseException.Validation> { s.c.findFreeSlots(desk, s.slots().copy(cursor = "forged")) }
    throws<CarebaseException.NotFound> { s.c.getAppointment(desk, newId()) }
    throws<CarebaseException.Validation> { s.c.exportFreeSlotsFhir(desk, s.slots().copy(cursor = "forged")) }
    val notJson = throws<CarebaseException.Validation> {
        s.c.importAppointmentFhir(desk, FhirAppointmentImport(resource = "{\"resourceType\":", references = mapOf()))
    }
    eq(listOf("resource"), notJson.paths(), "JSON text")
    check(!notJson.fields[0].message.contains("resourceType")) { "no text echoed: ${notJson.fields[0].message}" }
    eq(listOf("resource"), throws<CarebaseException.Validation> {
        s.c.importAppointmentFhir(desk, FhirAppointmentImport(resource = "[]", references = mapOf()))
    }.paths(), "not an object")
}

suspend fun appointmentToStringHidesFreeText() {
    val s = schedule(patients = 1)
    val a = s.book(s.patients[0], "09:00", note = "allergic to latex")
    val cancelled = s.c.cancelAppointment(desk, a.id, a.version, CancelAppointment(reason = CancellationReason.PAT, note = "moved abroad"))
    val texts = listOf(
        a.toString(), cancelled.toString(), cancelled.cancellation.toString(),
        s.booking(s.patients[0], "09:00", note = "allergic to latex").toString(),
        CancelAppointment(reason = CancellationReason.PAT, note = "moved abroad").toString(),
        TimeOff(start = berlin("09:00"), end = berlin("10:00"), reason = "surgery").toString(),
        FhirAppointmentImport(resource = "{\"comment\": \"allergic to latex\"}", references = mapOf()).toString(),
    )
    for (text in texts) {
        check(!text.contains("latex") && !text.contains("abroad") && !text.contains("surgery")) { "leaked: $text" }
    }
    check(a.toString().contains(a.id.toString())) { "ids are fine: $a" }
}

val schedulingTests: List<Pair<String, suspend () -> Unit>> = listOf(
    "adminsDefineTheSchedule" to ::adminsDefineTheSchedule,
    "availabilityIsReplacedAtItsVersion" to ::availabilityIsReplacedAtItsVersion,
    "freeSlotsPageWithACursor" to ::freeSlotsPageWithACursor,
    "bookingTakesTheSlot" to ::bookingTakesTheSlot,
    "doubleBookingNamesTheFirstAppointment" to ::doubleBookingNamesTheFirstAppointment,
    "aStartOutsideHoursIsRejectedOnStart" to ::aStartOutsideHoursIsRejectedOnStart,
    "rescheduleKeepsWhereItWas" to ::rescheduleKeepsWhereItWas,
    "cancellingRecordsReasonAndFreesTheSlot" to ::cancellingRecordsReasonAndFreesTheSlot,
    "cancellingInsideTheLateWindowIsFlagged" to ::cancellingInsideTheLateWindowIsFlagged,
    "aBadStatusTransitionIsAValidationError" to ::aBadStatusTransitionIsAValidationError,
    "aSeriesBooksEveryOccurrence" to ::aSeriesBooksEveryOccurrence,
    "aCollidingSeriesWritesNothing" to ::aCollidingSeriesWritesNothing,
    "appointmentsAreListedByPatientAndPractitioner" to ::appointmentsAreListedByPatientAndPractitioner,
    "patientsBookOnlyTheirOwnAppointments" to ::patientsBookOnlyTheirOwnAppointments,
    "practitionersSeeTheirOwnScheduleOnly" to ::practitionersSeeTheirOwnScheduleOnly,
    "remindersAreDueThenSentOnce" to ::remindersAreDueThenSentOnce,
    "appointmentChangesReachTheOutbox" to ::appointmentChangesReachTheOutbox,
    "anImportedFhirAppointmentExportsAsItCame" to ::anImportedFhirAppointmentExportsAsItCame,
    "aPractitionersScheduleExportsAsAFhirSchedule" to ::aPractitionersScheduleExportsAsAFhirSchedule,
    "freeSlotsExportAsAFhirBundleOfSlots" to ::freeSlotsExportAsAFhirBundleOfSlots,
    "aFhirImportWithoutStartNamesStart" to ::aFhirImportWithoutStartNamesStart,
    "schedulingInputThatDoesNotParseNamesEveryField" to ::schedulingInputThatDoesNotParseNamesEveryField,
    "appointmentToStringHidesFreeText" to ::appointmentToStringHidesFreeText,
)
