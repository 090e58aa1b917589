// Documents a host hands in as JSON text are bounded by core before anything
// parses them: a FHIR resource nested, sized or listed past core's bounds and
// a deep policy document end in core's typed error naming where, never a
// crash (issue 10, defects 1 and 11). The bounds are core's; these tests only
// use sizes far past them. Registered in CarebaseTest.kt.

import org.carebase.*
import org.carebase.mobile.*

/** An Appointment of the schedule's first patient whose `extension` is the JSON text `extension`. */
fun Schedule.appointmentWith(extension: String, more: String = ""): String =
    """{"resourceType":"Appointment","status":"booked",""" +
        """"start":"2030-01-07T08:00:00Z","end":"2030-01-07T08:30:00Z",""" +
        """"participant":[{"actor":{"reference":"Patient/${patients[0].id}"}},""" +
        """{"actor":{"reference":"Practitioner/${doctor.id}"}}],""" +
        """"extension":$extension$more}"""

fun nestedArrays(levels: Int): String = "[".repeat(levels) + "]".repeat(levels)

suspend fun Schedule.importing(resource: String) =
    c.importAppointmentFhir(system, FhirAppointmentImport(resource = resource, visitType = visit.id))

fun CarebaseException.Validation.pairs() = fields.map { it.field to it.code }

suspend fun aFhirResourceNestedTenThousandDeepIsTooDeep() {
    val s = schedule(patients = 1)
    for (depth in listOf(100, 10_000, 100_000)) {
        val e = throws<CarebaseException.Validation> { s.importing(s.appointmentWith(nestedArrays(depth))) }
        eq(listOf("resource" to "too_deep"), e.pairs(), "$depth levels")
    }
    eq(emptyList<Appointment>(), s.c.listAppointments(system, s.january(patient = s.patients[0].id)), "nothing written")
}

suspend fun fhirStringsListsAndSizesAreBounded() {
    val s = schedule(patients = 1)
    val long = s.appointmentWith("[]", ""","text":{"status":"generated","div":"${"x".repeat(70_000)}"}""")
    eq(listOf("text.div" to "too_long"), throws<CarebaseException.Validation> { s.importing(long) }.pairs(), "long string")
    val many = s.appointmentWith(List(1_001) { "0" }.joinToString(",", "[", "]"))
    eq(listOf("extension" to "too_many"), throws<CarebaseException.Validation> { s.importing(many) }.pairs(), "long list")
    val huge = s.appointmentWith("[]", ""","text":{"div":"${"x".repeat(40 shl 20)}"}""")
    eq(listOf("resource" to "too_large"), throws<CarebaseException.Validation> { s.importing(huge) }.pairs(), "40 MB")
    val fits = s.c.importAppointmentFhir(system, FhirAppointmentImport(resource = s.appointmentWith(nestedArrays(20)), visitType = s.visit.id))
    eq(listOf(fits), s.c.listAppointments(system, s.january(patient = s.patients[0].id)), "within the bounds, read back")
}

suspend fun aJsonPolicyNestedTenThousandDeepIsAnInvalidPolicy() {
    val deep = """{"version": 1, "rules": ${nestedArrays(10_000)}}"""
    val e = throws<CarebaseException.InvalidPolicy> { policyFromJson(deep) }
    check(e.location.startsWith("line 1, column ")) { "location: ${e.location}" }
    check(e.problem.contains("levels of nesting")) { "problem: ${e.problem}" }
}

val hostileDocumentTests: List<Pair<String, suspend () -> Unit>> = listOf(
    "aFhirResourceNestedTenThousandDeepIsTooDeep" to ::aFhirResourceNestedTenThousandDeepIsTooDeep,
    "fhirStringsListsAndSizesAreBounded" to ::fhirStringsListsAndSizesAreBounded,
    "aJsonPolicyNestedTenThousandDeepIsAnInvalidPolicy" to ::aJsonPolicyNestedTenThousandDeepIsAnInvalidPolicy,
)
