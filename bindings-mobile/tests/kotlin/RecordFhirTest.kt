// FHIR R4 in and out of the health record through the Kotlin binding
// (core/tests/record_fhir.rs). Registered in CarebaseTest.kt.

import org.carebase.*
import org.carebase.mobile.*

/** The official R4 example `name`, read from the shared fixtures (test.sh runs in bindings-mobile/). */
fun recordExample(name: String): String =
    listOf("../../shared", "../shared").map { java.io.File("$it/fixtures/fhir/r4-examples/$name") }
        .first { it.isFile }.readText()

suspend fun anOfficialObservationImportsAndExportsUnchangedButItsId() {
    val c = clinic()
    val (doc, patient) = c.charted()
    val original = recordExample("Observation-example.json")
    val import = FhirEntryImport(resource = original, references = mapOf("Patient/example" to patient.toString()))
    val entry = c.importEntryFhir(doc, patient, import)
    check(entry.body is EntryBody.Observation) { "an observation: ${entry.body}" }
    val exported = c.exportEntryFhir(doc, patient, entry.id)
    eq(Json.parse(withKey(original, "id", entry.id.toString())), Json.parse(exported), "the example but for its id")
}

suspend fun anImportedWeightInCentimetresIsRefusedOnItsFhirPath() {
    val c = clinic()
    val (doc, patient) = c.charted()
    val original = recordExample("Observation-example.json")
    val quantity = Json.parse(original).obj()["valueQuantity"].obj() + ("code" to "cm")
    val resource = withKey(original, "valueQuantity", null).let {
        writeJson(Json.parse(it).obj() + ("valueQuantity" to quantity))
    }
    val import = FhirEntryImport(resource = resource, references = mapOf("Patient/example" to patient.toString()))
    val e = throws<CarebaseException.Validation> { c.importEntryFhir(doc, patient, import) }
    eq("validation", e.code(), "code")
    eq(listOf("valueQuantity.code" to "invalid_unit"), e.fields.map { it.field to it.code }, "fields")
}

val recordFhirTests: List<Pair<String, suspend () -> Unit>> = listOf(
    "anOfficialObservationImportsAndExportsUnchangedButItsId" to ::anOfficialObservationImportsAndExportsUnchangedButItsId,
    "anImportedWeightInCentimetresIsRefusedOnItsFhirPath" to ::anImportedWeightInCentimetresIsRefusedOnItsFhirPath,
)
