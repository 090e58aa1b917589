// A patient's audit listing pages along that patient's chain, through the
// Kotlin binding: core's audit_entries_* conformance tests. Registered in
// CarebaseTest.kt.

import org.carebase.*
import org.carebase.mobile.*

suspend fun aPatientsAuditListingRefusesACursorFromAnotherPatientsChain() {
    for (url in listOf("memory:", "sqlite::memory:")) {
        val c = clinic(url)
        val mine = c.register(details("Chain", "Mine", "1970-03-03"))
        val theirs = c.register(details("Chain", "Theirs", "1971-04-04"))
        val theirEntry = c.auditLog(system, AuditQuery(patient = theirs.id)).single()
        val e = throws<CarebaseException.Validation> {
            c.auditLog(system, AuditQuery(patient = mine.id, after = theirEntry.draft.id))
        }
        eq(listOf(listOf("after", "invalid_cursor")), e.fields.map { listOf(it.field, it.code) }, "$url: field and code")
        // The refusal and the listings are audited on the chain: its own
        // entry is a cursor, and the next page starts at the next position.
        val first = c.auditLog(system, AuditQuery(patient = mine.id, limit = 1)).single()
        val afterFirst = c.auditLog(system, AuditQuery(patient = mine.id, after = first.draft.id))
        eq(afterFirst.indices.map { it + 2L }, afterFirst.map { it.chainSeq }, "$url: chain order")
        eq(Outcome.FAILED, afterFirst.first().draft.outcome, "$url: the refusal is audited")
    }
}

val auditListingTests: List<Pair<String, suspend () -> Unit>> = listOf(
    "aPatientsAuditListingRefusesACursorFromAnotherPatientsChain" to ::aPatientsAuditListingRefusesACursorFromAnotherPatientsChain,
)
