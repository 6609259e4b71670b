# Area "exports" (issue #16): downloads for spreadsheets and the providers' register.
# Store refusal: an offer of a service that is the case's own work.
store-offer-own-work = { $service } — собственная работа по делу (служба социальной работы этрапа или горячая линия): поставщики её не предлагают, и в неё не направляют. Предложите одну из специализированных или стационарных услуг.
