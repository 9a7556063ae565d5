#pragma once

#include <vector>

#include "connectors/publish/event_sink.h"

namespace accord::connectors::testing {

// Kafka transactions as a transactional EventSink's unit tests see them:
// every batch it commits is recorded and answered with `next` (committed
// unless a test says otherwise).
struct RecordedTransactions {
  using Message = kafka::TransactionalPublisher::Message;

  std::vector<std::vector<Message>> batches;
  kafka::TransactionalPublisher::Result next{true, 0, 0, ""};

  EventSink::Commit Commit() {
    return [this](const std::vector<Message>& batch) {
      batches.push_back(batch);
      auto result = next;
      if (result.committed) result.published = batch.size();
      return result;
    };
  }
};

}  // namespace accord::connectors::testing
