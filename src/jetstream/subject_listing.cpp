// Subjects of a JetStream stream (subject_listing.hpp).
#include "jetstream/subject_listing.hpp"

#include <fmt/format.h>

namespace framewire::jetstream {

Result<std::vector<SubjectCount>> list_subjects(jsCtx* js, const std::string& jetstream,
                                                const std::string& filter) {
  jsOptions options;
  jsOptions_Init(&options);
  options.Stream.Info.SubjectsFilter = filter.c_str();
  jsStreamInfo* raw = nullptr;
  jsErrCode js_error{};
  const natsStatus s = js_GetStreamInfo(&raw, js, jetstream.c_str(), &options, &js_error);
  StreamInfoHandle info(raw);
  if (js_error == kJsErrStreamNotFound || (s == NATS_NOT_FOUND && js_error == 0)) {
    return Status(ErrorCode::kBadStream,
                  fmt::format("JetStream stream {} does not exist (yet)", jetstream));
  }
  if (s != NATS_OK) {
    return nats_status(s, fmt::format("cannot list the subjects of JetStream stream {}", jetstream),
                       js_error);
  }
  std::vector<SubjectCount> subjects;
  if (const jsStreamStateSubjects* listed = info->State.Subjects; listed != nullptr) {
    subjects.reserve(static_cast<std::size_t>(listed->Count));
    for (int i = 0; i < listed->Count; ++i) {
      const jsStreamStateSubject& entry = listed->List[i];
      if (entry.Subject == nullptr || entry.Msgs == 0) continue;
      subjects.push_back(SubjectCount{.subject = entry.Subject, .messages = entry.Msgs});
    }
  }
  return subjects;
}

}  // namespace framewire::jetstream
