# Area "exports" (issue #16): downloads for spreadsheets and the providers' register.
# Store refusal: an offer of a service that is the case's own work.
store-offer-own-work = { $service } is the case's own work (the etrap social work service or the hotline): providers do not offer it and cases are not referred to it. Offer one of the specialised or residential services.
