# The keyed audit chain (goldaw-store/src/audit.rs).
audit-unchecked = Žurnaly doly barlap bolmady ({ $count } waka): açar bilen goralan wakalar üçin şifrleme açary gerek, ýa-da hiç bir waka açar bilen goralmandyr. Jikme-jiklikler: serwerde goldaw audit verify.
