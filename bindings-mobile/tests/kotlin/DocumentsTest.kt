// Documents through the Kotlin binding (core/tests/record_documents.rs): the
// bytes cross as a ByteArray both ways (uniffi's bytes, never JSON) and read
// back identical; size, type and who reads are core's rules. Registered in
// CarebaseTest.kt.

import org.carebase.*
import org.carebase.mobile.*
import java.io.File
import java.security.MessageDigest
import java.time.Instant

val SCAN: ByteArray = "%PDF-1.7\n a referral letter ".toByteArray() + byteArrayOf(0, -1, 16)

private suspend fun documentsChart(url: String = "memory:"): Triple<Clinic, PatientId, Actor> {
    val c = clinic(url)
    val dr = c.addPractitioner(admin, NewPractitioner(name = "Dr Letter", timeZone = "UTC"))
    val p = c.register(details("Letter", "Ada", "1984-07-01"))
    c.assignCareTeam(admin, p.id, dr.id)
    return Triple(c, p.id, Actor(id = newId(), roles = listOf(Role.PRACTITIONER), practitioner = dr.id))
}

private fun hex(bytes: ByteArray): String =
    MessageDigest.getInstance("SHA-256").digest(bytes).joinToString("") { "%02x".format(it) }

suspend fun anAttachedDocumentReadsBackIdenticalBytes() {
    val (c, p, login) = documentsChart()
    val entry = c.attachDocument(login, p, Instant.now().minusSeconds(60), null, "application/pdf", "Referral", SCAN)
    val body = (entry.body as EntryBody.Document).v1
    eq(SCAN.size.toLong(), body.size.toLong(), "size")
    eq(hex(SCAN), body.sha256, "sha256")
    val read = c.readDocument(login, p, entry.id)
    check(read.bytes.contentEquals(SCAN)) { "bytes differ" }
    eq(entry.id, read.entry.id, "entry")
}

suspend fun aSqliteClinicKeepsTheBytesInAFolderBesideItsFile() {
    val dir = kotlin.io.path.createTempDirectory("carebase-kt-").toFile()
    try {
        val (c, p, login) = documentsChart("sqlite://${File(dir, "clinic.db").path}")
        val entry = c.attachDocument(login, p, Instant.now().minusSeconds(60), null, "image/png", null, SCAN)
        val sha = (entry.body as EntryBody.Document).v1.sha256
        check(File(dir, "clinic.db.blobs/${sha.take(2)}/$sha").readBytes().contentEquals(SCAN)) { "file differs" }
    } finally {
        dir.deleteRecursively()
    }
}

suspend fun aDocumentOverTheLimitIsTooLarge() {
    val (c, p, login) = documentsChart()
    val big = ByteArray((20 shl 20) + 1)
    val e = throws<CarebaseException.Validation> {
        c.attachDocument(login, p, Instant.now().minusSeconds(60), null, "application/pdf", null, big)
    }
    eq(listOf("bytes" to "too_large"), e.fields.map { it.field to it.code }, "fields")
}

suspend fun billingAndTheFrontDeskCannotReadADocument() {
    val (c, p, login) = documentsChart()
    val entry = c.attachDocument(login, p, Instant.now().minusSeconds(60), null, "application/pdf", null, SCAN)
    eq("forbidden", throws<CarebaseException.Forbidden> { c.readDocument(actor(Role.BILLING), p, entry.id) }.code(), "billing")
    eq("forbidden", throws<CarebaseException.Forbidden> { c.readDocument(actor(Role.FRONT_DESK), p, entry.id) }.code(), "desk")
}

val documentsTests: List<Pair<String, suspend () -> Unit>> = listOf(
    "anAttachedDocumentReadsBackIdenticalBytes" to ::anAttachedDocumentReadsBackIdenticalBytes,
    "aSqliteClinicKeepsTheBytesInAFolderBesideItsFile" to ::aSqliteClinicKeepsTheBytesInAFolderBesideItsFile,
    "aDocumentOverTheLimitIsTooLarge" to ::aDocumentOverTheLimitIsTooLarge,
    "billingAndTheFrontDeskCannotReadADocument" to ::billingAndTheFrontDeskCannotReadADocument,
)
