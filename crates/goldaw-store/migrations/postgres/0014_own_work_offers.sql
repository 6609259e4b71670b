-- Issue #16: the etrap social work service (ETRAP_SW) and the hotline (HOTLINE) are the case's
-- own work, never referred to; the providers' register refuses offers of them now
-- (goldaw_core::cases::ServiceRoute). Offers of them made before stay as history, inactive, so no
-- list of offers names them; the version moves so a form read before cannot change them back.
UPDATE provider_services
   SET active = FALSE, version = version + 1
 WHERE service_code IN ('ETRAP_SW', 'HOTLINE') AND active;
