// FHIR R4 Patient import and export through the Kotlin binding:
// core/tests/fhir_people/main.rs. Registered in CarebaseTest.kt.

import org.carebase.*
import org.carebase.mobile.*

/** An official R4 example, read from the shared fixtures (test.sh runs in bindings-mobile/). */
fun fhirExample(name: String): String =
    listOf("../../shared", "../shared").map { java.io.File("$it/fixtures/fhir/r4-examples/$name") }
        .first { it.isFile }.readText()

suspend fun anImportedExamplePatientExportsAsItCame() {
    val c = clinic()
    val original = fhirExample("Patient-example.json")
    val p = c.importPatientFhir(desk, original, null)
    eq("Chalmers", p.details.names[0].family, "family name read")
    eq("example", Json.parse(p.fhirExtra!!).obj()["source_id"], "source id kept")
    val exported = c.exportPatientFhir(desk, p.id)
    eq(Json.parse(withKey(original, "id", p.id.toString())), Json.parse(exported), "the example but for its id")
}

suspend fun anImportGivenAFacilityAlsoGetsAnMrn() {
    val c = clinic()
    val p = c.importPatientFhir(desk, fhirExample("Patient-example.json"), "north")
    eq(MRN, p.details.identifiers.last().system, "an MRN of the facility")
}

suspend fun aRefusedPatientImportNamesTheFhirPathAndItsCode() {
    val c = clinic()
    val future = withKey(fhirExample("Patient-example.json"), "birthDate", "2999-01-01")
    val e = throws<CarebaseException.Validation> { c.importPatientFhir(desk, future, null) }
    eq(listOf("birthDate" to "in_future"), e.fields.map { it.field to it.code }, "field and code")
}

suspend fun aPatientExportShowsOnlyWhatTheActorMaySee() {
    val c = clinic()
    val p = c.importPatientFhir(desk, fhirExample("Patient-example.json"), null)
    val exported = Json.parse(c.exportPatientFhir(billing, p.id)).obj()
    check("telecom" !in exported && "text" !in exported) { "hidden: ${exported.keys}" }
}

suspend fun anImportedExamplePractitionerExportsAsItCame() {
    val c = clinic()
    val original = fhirExample("Practitioner-example.json")
    val p = c.importPractitionerFhir(admin, original, "Europe/Amsterdam")
    eq("Europe/Amsterdam", p.timeZone, "the zone given")
    eq("example", Json.parse(p.fhirExtra!!).obj()["source_id"], "source id kept")
    val exported = c.exportPractitionerFhir(admin, p.id)
    eq(Json.parse(withKey(original, "id", p.id.toString())), Json.parse(exported), "the example but for its id")
}

suspend fun aRefusedPractitionerImportNamesEachFieldAndItsCode() {
    val c = clinic()
    val e = throws<CarebaseException.Validation> {
        c.importPractitionerFhir(admin, """{"resourceType": "Practitioner"}""", "Mars/Olympus")
    }
    eq(
        listOf("name" to "required", "time_zone" to "unknown_time_zone"),
        e.fields.map { it.field to it.code }.sortedBy { it.first },
        "fields and codes",
    )
}

suspend fun aPractitionerImportNeedsSchedulingRights() {
    val c = clinic()
    throws<CarebaseException.Forbidden> { c.importPractitionerFhir(desk, fhirExample("Practitioner-example.json"), "UTC") }
}

val fhirPeopleTests: List<Pair<String, suspend () -> Unit>> = listOf(
    "anImportedExamplePatientExportsAsItCame" to ::anImportedExamplePatientExportsAsItCame,
    "anImportGivenAFacilityAlsoGetsAnMrn" to ::anImportGivenAFacilityAlsoGetsAnMrn,
    "aRefusedPatientImportNamesTheFhirPathAndItsCode" to ::aRefusedPatientImportNamesTheFhirPathAndItsCode,
    "aPatientExportShowsOnlyWhatTheActorMaySee" to ::aPatientExportShowsOnlyWhatTheActorMaySee,
    "anImportedExamplePractitionerExportsAsItCame" to ::anImportedExamplePractitionerExportsAsItCame,
    "aRefusedPractitionerImportNamesEachFieldAndItsCode" to ::aRefusedPractitionerImportNamesEachFieldAndItsCode,
    "aPractitionerImportNeedsSchedulingRights" to ::aPractitionerImportNeedsSchedulingRights,
)
