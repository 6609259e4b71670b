# Area "exports" (issue #16): downloads for spreadsheets and the providers' register.
# Store refusal: an offer of a service that is the case's own work.
store-offer-own-work = { $service } işiň öz işi (etrabyň durmuş işi gullugy ýa-da ynam telefony): üpjün edijiler ony teklip etmeýärler we oňa ugrukdyrylmaýar. Ýöriteleşdirilen ýa-da stasionar hyzmatlaryň birini teklip ediň.
