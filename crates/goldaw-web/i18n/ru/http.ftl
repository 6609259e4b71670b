# The HTTP layer: a request that took too long, a server that is full.
http-timeout-title = Слишком долго
http-timeout = Сервер отвечал слишком долго и прервал этот запрос. Прежде чем отправить его снова, проверьте, сохранилось ли отправленное.
http-busy = goldaw сейчас перегружен. Пожалуйста, повторите попытку через минуту.
