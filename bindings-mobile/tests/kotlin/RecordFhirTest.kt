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

suspend fun aDocumentReferenceWithItsBytesExportsUnchangedWithItsDataForAClinician() {
    val c = clinic()
    val (doc, patient) = c.charted()
    val letter = "%PDF-1.7\n a referral letter ".toByteArray() + byteArrayOf(0, -1, 16)
    val b64 = java.util.Base64.getEncoder()
    val sha1 = b64.encodeToString(java.security.MessageDigest.getInstance("SHA-1").digest(letter))
    val resource = """{"resourceType": "DocumentReference", "status": "current",
        "subject": {"reference": "Patient/p1"}, "date": "2013-04-02T09:30:00Z",
        "description": "Referral to cardiology",
        "content": [{"attachment": {"contentType": "application/pdf", "data": "${b64.encodeToString(letter)}",
            "size": ${letter.size}, "hash": "$sha1", "title": "Referral letter"}}]}"""
    val import = FhirEntryImport(resource = resource, references = mapOf("Patient/p1" to patient.toString()))
    val entry = c.importEntryFhir(doc, patient, import)
    check(entry.body is EntryBody.Document) { "a document: ${entry.body}" }
    check(c.readDocument(doc, patient, entry.id).bytes.contentEquals(letter)) { "bytes differ" }
    val exported = c.exportEntryFhir(doc, patient, entry.id)
    eq(Json.parse(withKey(resource, "id", entry.id.toString())), Json.parse(exported), "the resource with its data")
}

val recordFhirTests: List<Pair<String, suspend () -> Unit>> = listOf(
    "anOfficialObservationImportsAndExportsUnchangedButItsId" to ::anOfficialObservationImportsAndExportsUnchangedButItsId,
    "anImportedWeightInCentimetresIsRefusedOnItsFhirPath" to ::anImportedWeightInCentimetresIsRefusedOnItsFhirPath,
    "aDocumentReferenceWithItsBytesExportsUnchangedWithItsDataForAClinician" to
        ::aDocumentReferenceWithItsBytesExportsUnchangedWithItsDataForAClinician,
)
