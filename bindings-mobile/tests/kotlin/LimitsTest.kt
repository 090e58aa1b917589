// Issue 10, defect 11: bounded lists, capped errors, settings checked when a
// clinic opens, and the phone region. The rules live in core; these check
// they reach Kotlin.

import org.carebase.*
import org.carebase.mobile.*

fun CarebaseException.Validation.failures() = fields.map { "${it.field} ${it.code}" }

suspend fun fiftyThousandGivenNamesAreOneTooManyError() {
    val c = clinic()
    val d = details("Garcia", "Ana", "1980-01-01")
    val many = d.copy(names = listOf(d.names[0].copy(given = List(50_000) { "Given$it" })))
    val e = throws<CarebaseException.Validation> { c.register(many) }
    eq(listOf("names[0].given too_many"), e.failures(), "one error")
    eq("at most 20 given names", e.fields[0].message, "message names the limit")
}

suspend fun aHundredThousandReminderOffsetsAreOneTooManyError() {
    val c = clinic()
    val visit = NewVisitType(
        code = "consult", name = "Consultation", durationMinutes = 30, horizonDays = 90,
        reminderOffsetsMinutes = List(100_000) { it.toInt() },
    )
    val e = throws<CarebaseException.Validation> { c.addVisitType(system, visit) }
    eq(listOf("reminder_offsets_minutes too_many"), e.failures(), "one error")
}

suspend fun aValidationErrorListsAHundredFieldsThenSaysTheRestWereLeftOut() {
    val c = clinic()
    val bad = HumanName(usage = NameUse.USUAL, given = List(20) { "\u0000" })
    val e = throws<CarebaseException.Validation> { c.register(PatientDetails(names = List(20) { bad })) }
    eq(101, e.fields.size, "capped")
    eq("too_many_errors", e.fields[100].code, "marker")
}

suspend fun aBadSettingFailsOpenNamingIt() {
    val ns = settings().mrnNamespaces[0]
    val cases = listOf(
        settings().copy(mrnNamespaces = listOf(ns.copy(digits = 1000))) to "settings.mrn_namespaces[0].digits out_of_range",
        settings().copy(mrnNamespaces = listOf(ns.copy(digits = 1))) to "settings.mrn_namespaces[0].digits out_of_range",
        settings().copy(breakGlassDefault = java.time.Duration.ofHours(48)) to "settings.break_glass_default out_of_range",
        settings().copy(identifierSystems = settings().identifierSystems + settings().identifierSystems) to
            "settings.identifier_systems[1].system duplicate",
        settings().copy(phoneRegion = "Narnia") to "settings.phone_region invalid_value",
    )
    for ((bad, expected) in cases) {
        val e = throws<CarebaseException.Validation> { Clinic.open("memory:", bad) }
        eq(listOf(expected), e.failures(), expected)
    }
}

suspend fun withAPhoneRegionBothSpellingsOfANumberFindEachOther() {
    val c = Clinic.open("memory:", settings().copy(phoneRegion = "US"))
    eq("US", c.settings().phoneRegion, "setting round trip")
    val first = c.register(details("Okafor", "Chi", "1985-03-04", phone = "+1 555 0100"))
    c.register(details("Nwosu", "Ada", "1950-01-01", phone = "555-0100"))
    for (typed in listOf("555-0100", "+1 555 0100", "(555) 0100")) {
        eq(2, c.searchPatients(desk, PatientQuery(phone = typed)).items.size, typed)
    }
    // The system sees phones (an admin matches on names and identifiers only).
    val found = c.findDuplicates(system, first.id, 10)
    eq(1, found.size, "one duplicate")
    eq(1.0, found[0].score.phone.similarity, "phones match")
}

suspend fun countsAreIntAndLong() {
    val c = clinic()
    val p = c.register(details("Count", "Ed", "1980-01-01"))
    val version: Long = p.version
    eq(1L, version, "version")
    val page = c.searchPatients(desk, PatientQuery(limit = 1))
    eq(1, page.items.size, "page")
    val slots: Int = Availability(weekly = emptyList(), exceptions = emptyList(), timeOff = emptyList()).slotMinutes
    eq(15, slots, "default slot minutes")
}

suspend fun aNegativeCountIsAValidationErrorNamingItsArgument() {
    val c = clinic()
    c.register(details("Count", "Ed", "1980-01-01"))
    for ((name, call) in listOf<Pair<String, suspend () -> Unit>>(
        "query" to { c.searchPatients(desk, PatientQuery(limit = -1)) },
        "seq" to { c.ackEvents(system, "consumer", 0, -1L) },
        "partition" to { c.ackEvents(system, "consumer", -1, 0L) },
        "after" to { c.eventsAfter(system, listOf(-1L), 10) },
        "limit" to { c.pollEvents(system, "consumer", -1) },
    )) {
        val e = throws<CarebaseException.Validation>(call)
        eq("validation", e.code(), "$name code")
        eq(listOf(name), e.paths(), "$name field")
        eq("invalid_value", e.fields[0].code, "$name rule")
    }
    check(c.pollEvents(system, "consumer", 10).isNotEmpty()) { "a refused ack acknowledged nothing" }
}

val limitsTests: List<Pair<String, suspend () -> Unit>> = listOf(
    "countsAreIntAndLong" to ::countsAreIntAndLong,
    "aNegativeCountIsAValidationErrorNamingItsArgument" to ::aNegativeCountIsAValidationErrorNamingItsArgument,
    "fiftyThousandGivenNamesAreOneTooManyError" to ::fiftyThousandGivenNamesAreOneTooManyError,
    "aHundredThousandReminderOffsetsAreOneTooManyError" to ::aHundredThousandReminderOffsetsAreOneTooManyError,
    "aValidationErrorListsAHundredFieldsThenSaysTheRestWereLeftOut" to
        ::aValidationErrorListsAHundredFieldsThenSaysTheRestWereLeftOut,
    "aBadSettingFailsOpenNamingIt" to ::aBadSettingFailsOpenNamingIt,
    "withAPhoneRegionBothSpellingsOfANumberFindEachOther" to ::withAPhoneRegionBothSpellingsOfANumberFindEachOther,
)
