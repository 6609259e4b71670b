# Tablisalary biri-birinden aýyrmakdan gorag (issue #16, 10-njy bent): gizlenmedik statistikany
# görmäge rugsady bolmadyk okyjylar üçin diňe senenama döwürleri we üýtgedilen sanlar. Açarlar:
# disclosure-*, we tablisa bilen çap edilýän indicator-note-perturbed belligi.
disclosure-period-not-calendar = { $from } — { $to } doly senenama aýy, çärýegi ýa-da ýyly däl. Gizlenmedik statistikany görmäge rugsadyňyz ýok bolsa, aý, çärýek ýa-da ýyl saýlaň (meselem, çalt saýlaw bilen): ýogsam birnäçe gün tapawutly iki döwri biri-birinden aýryp, birnäçe adamy anyklap bolar.
indicator-note-perturbed = Tablisalary biri-birinden aýryp, birnäçe adamy anyklap bolmaz ýaly sanlar 3-e çenli üýtgedildi: şol bir öýjük hemme ýerde şol bir bahany görkezýär, jemi bolsa setirleriň jemine deň däl.
disclosure-planning-protected = Meýilnamalary deňeşdirip, birnäçe adamy anyklap bolmaz ýaly adamlaryň sany 3-e çenli üýtgedildi. Kiçi san (5-den az; S10 we S11 üçin 10-dan az) gizlenýär we şol setiriň zerurlygy ilat sanyna görä çaklamadyr. Takyk sanlar üçin gizlenmedik statistikany görmäge rugsat gerek.
disclosure-planning-withheld = kiçi san gizlenildi: ilat sanyna görä çaklama
