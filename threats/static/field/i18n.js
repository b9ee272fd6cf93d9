/* Field app strings, English and Russian; the phone's language picks. */
"use strict";
const I18N = (() => {
  const en = {
    online: "Online", offline: "Offline", waiting: "{n} waiting", nothing_waiting: "All synced",
    last_sync: "Last sync: {t}", never_synced: "Not synced yet", sync_now: "Sync now", syncing: "Syncing…",
    synced: "Synced", sync_failed: "Sync failed: will retry", login_title: "Log in", username: "Username",
    password: "Password", reserve: "Reserve", log_in: "Log in", log_out: "Log out", login_failed: "Login failed",
    login_needs_network: "Logging in needs the network once.", token_revoked: "This phone was signed out. Log in again.",
    snare_find: "Snare find", incident: "Incident", sign: "Wildlife sign / sighting", queue: "Waiting list",
    back: "Back", save: "Save", saved: "Saved on the phone", location: "Location", get_fix: "Get GPS fix",
    locating: "Getting GPS fix…", fix: "{lat}, {lon} ± {acc} m ({n} readings)", no_fix: "No GPS fix",
    manual: "Or type the coordinates", latitude: "Latitude", longitude: "Longitude", need_location: "A location is needed.",
    count: "Count (snares in the line)", material: "Material", state: "State", placement: "Placement",
    catch_species: "Caught animal", none: "None", catch_condition: "Animal condition", action: "Action taken",
    notes: "Notes", photo: "Photo", kind: "Kind", description: "Description", species: "Species", method: "Method",
    individual_id: "Individual ID", patrol: "Patrol", no_patrol: "No patrol", start_patrol: "Start patrol",
    pause_patrol: "Pause", resume_patrol: "Resume", end_patrol: "End patrol", new_patrol_for: "New patrol for {team}",
    patrol_running: "Patrol running: {n} GPS points", patrol_paused: "Patrol paused: {n} GPS points",
    records: "records", photos: "photos", points: "track points", rejected: "Refused by the server",
    items_waiting: "{r} records, {p} photos, {t} track points waiting", count_invalid: "Count must be 1 or more.",
    "material.wire": "Wire", "material.cable": "Steel cable", "material.nylon": "Nylon", "material.other": "Other",
    "state.set": "Set", "state.sprung": "Sprung", "state.old": "Old",
    "placement.neck": "Neck", "placement.foot": "Foot", "placement.unknown": "Unknown",
    "catch_condition.none": "No catch", "catch_condition.alive": "Alive", "catch_condition.injured": "Injured",
    "catch_condition.dead": "Dead",
    "action.removed": "Removed", "action.destroyed": "Destroyed", "action.left_for_ambush": "Left for ambush",
    "kind.poacher_camp": "Poacher camp", "kind.carcass": "Carcass", "kind.gunshot": "Gunshot",
    "kind.snare_line": "Snare line", "kind.suspect_encounter": "Encounter with suspects",
    "kind.illegal_logging": "Illegal logging", "kind.other": "Other",
    "method.track": "Tracks", "method.scat": "Scat", "method.scrape": "Scrape", "method.sighting": "Sighting",
    "method.kill": "Kill", "method.camera_trap": "Camera trap", "method.dna": "DNA",
  };
  const ru = {
    online: "В сети", offline: "Нет сети", waiting: "Ждут отправки: {n}", nothing_waiting: "Всё отправлено",
    last_sync: "Последняя отправка: {t}", never_synced: "Ещё не отправлялось", sync_now: "Отправить сейчас",
    syncing: "Отправка…", synced: "Отправлено", sync_failed: "Не удалось отправить: повторим позже",
    login_title: "Вход", username: "Имя пользователя", password: "Пароль", reserve: "Заповедник", log_in: "Войти",
    log_out: "Выйти", login_failed: "Не удалось войти", login_needs_network: "Для первого входа нужна сеть.",
    token_revoked: "Этот телефон отключён. Войдите снова.", snare_find: "Петля", incident: "Происшествие",
    sign: "Следы / встреча зверя", queue: "Очередь", back: "Назад", save: "Сохранить", saved: "Сохранено на телефоне",
    location: "Место", get_fix: "Определить по GPS", locating: "Ищем спутники…",
    fix: "{lat}, {lon} ± {acc} м (замеров: {n})", no_fix: "Нет GPS", manual: "Или введите координаты",
    latitude: "Широта", longitude: "Долгота", need_location: "Нужно указать место.",
    count: "Количество (петель в линии)", material: "Материал", state: "Состояние", placement: "Установка",
    catch_species: "Попавшее животное", none: "Нет", catch_condition: "Состояние животного", action: "Что сделано",
    notes: "Заметки", photo: "Фото", kind: "Тип", description: "Описание", species: "Вид", method: "Способ",
    individual_id: "Особь (ID)", patrol: "Патруль", no_patrol: "Без патруля", start_patrol: "Начать патруль",
    pause_patrol: "Пауза", resume_patrol: "Продолжить", end_patrol: "Закончить патруль",
    new_patrol_for: "Новый патруль: {team}", patrol_running: "Патруль идёт: точек GPS {n}",
    patrol_paused: "Патруль на паузе: точек GPS {n}", records: "записей", photos: "фото", points: "точек трека",
    rejected: "Отклонено сервером", items_waiting: "Ждут отправки: записей {r}, фото {p}, точек трека {t}",
    count_invalid: "Количество должно быть не меньше 1.",
    "material.wire": "Проволока", "material.cable": "Стальной трос", "material.nylon": "Капрон", "material.other": "Другое",
    "state.set": "Насторожена", "state.sprung": "Сработала", "state.old": "Старая",
    "placement.neck": "На шею", "placement.foot": "На ногу", "placement.unknown": "Неизвестно",
    "catch_condition.none": "Пусто", "catch_condition.alive": "Живое", "catch_condition.injured": "Ранено",
    "catch_condition.dead": "Мёртвое",
    "action.removed": "Снята", "action.destroyed": "Уничтожена", "action.left_for_ambush": "Оставлена для засады",
    "kind.poacher_camp": "Стоянка браконьеров", "kind.carcass": "Туша", "kind.gunshot": "Выстрел",
    "kind.snare_line": "Линия петель", "kind.suspect_encounter": "Встреча с нарушителями",
    "kind.illegal_logging": "Незаконная рубка", "kind.other": "Другое",
    "method.track": "Следы", "method.scat": "Помёт", "method.scrape": "Поскрёб", "method.sighting": "Встреча",
    "method.kill": "Добыча хищника", "method.camera_trap": "Фотоловушка", "method.dna": "ДНК",
  };
  const lang = (navigator.languages && navigator.languages[0] || navigator.language || "en").toLowerCase().startsWith("ru") ? "ru" : "en";
  const strings = lang === "ru" ? ru : en;
  document.documentElement.lang = lang;
  function t(key, params) {
    let text = strings[key] || en[key] || key;
    for (const [name, value] of Object.entries(params || {})) text = text.replace("{" + name + "}", value);
    return text;
  }
  return { t, lang };
})();
