# goldaw, русский. Термины по shared/data/GLOSSARY.csv.
app-name = goldaw
app-tagline = Социальные услуги по месту жительства
skip-to-content = Перейти к содержанию
nav-home = Главная
nav-people = Люди
sign-in = Войти
sign-out = Выйти
username = Имя пользователя
password = Пароль
sign-in-title = Вход в goldaw
sign-in-failed = Неверное имя пользователя или пароль.
sign-in-locked = Слишком много неудачных попыток: учётная запись заблокирована на { $minutes } минут.
session-expired = Сеанс завершён. Войдите снова.
form-expired = Срок действия формы истёк. Попробуйте ещё раз.
language = Язык
signed-in-as = Вы вошли как { $user }
role = Роль
scope = Территория
home-title = Главная
home-intro-social_worker = Ваши случаи и жители вашего этрапа.
home-intro-supervisor = Случаи вашей команды и жители вашей территории.
home-intro-provider = Направления в вашу организацию.
home-intro-hotline = Регистрация обращений и направлений.
home-intro-planner = Статистика и планирование по вашей территории.
home-intro-ministry = Национальная статистика и планирование.
home-intro-admin = Пользователи, справочники и журнал аудита.
role-social_worker = Социальный работник
role-supervisor = Супервизор (руководитель)
role-provider = Поставщик социальных услуг
role-hotline = Оператор телефона доверия
role-planner = Специалист по планированию
role-ministry = Министерство
role-admin = Администратор
people-title = Люди
search = Поиск
search-name = Имя (любое написание)
col-name = Имя
col-birth-date = Дата рождения
col-sex = Пол
col-place = Место
col-disability = Инвалидность
sex-F = Женский
sex-M = Мужской
yes = Да
no = Нет
no-data = Нет данных
people-count = { $count ->
    [one] { $count } человек
    [few] { $count } человека
   *[other] { $count } человек
}
not-found = Не найдено
access-denied = Доступ запрещён
