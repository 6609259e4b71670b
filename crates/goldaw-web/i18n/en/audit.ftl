# The keyed audit chain (goldaw-store/src/audit.rs).
audit-unchecked = The log could not be fully checked ({ $count } events): its keyed events need the encryption key, or none is keyed. Run goldaw audit verify on the server for details.
