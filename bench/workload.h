#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "accord/v1/event.pb.h"

namespace accord::bench {

// A deterministic stream of events shaped like real traffic between a
// marketing tool and a CRM. The same (events, seed) always gives the same
// events, ids and order.
//
// The first few events define the campaigns (campaigns topic); the rest are
// customer events, drawn per event:
//   15%  contact upserts, half from "marketing", half from "crm"; both systems
//        know the same people, the CRM with differently cased e-mail
//        addresses (same identity once normalised) and often a link to the
//        marketing record id
//   70%  campaign engagement from "marketing": sent, opened, clicked, form
//        submitted
//   10%  deal upserts from "crm": deals are created and walk through their
//        stages to won or lost
//    5%  other: orders ("shop"), sales activities ("crm"), support tickets
//        opened and resolved ("support")
// About events/20 distinct customers; activity is skewed (the busiest 1% of
// customers get about 10% of the events), as in real CRMs.
class Workload {
 public:
  explicit Workload(uint64_t events, uint64_t seed = 20250101);

  // Fills `event` with the next event; false when all have been produced.
  bool Next(v1::Event& event);

  uint64_t events() const { return events_; }
  uint64_t customers() const { return customers_; }
  uint64_t campaigns() const { return campaigns_; }

  struct Mix {
    uint64_t campaigns = 0;
    uint64_t contacts = 0;
    uint64_t engagements = 0;
    uint64_t deals = 0;
    uint64_t orders = 0;
    uint64_t activities = 0;
    uint64_t tickets = 0;
  };
  // What has been produced so far.
  const Mix& mix() const { return mix_; }

 private:
  uint64_t Random();
  uint64_t Below(uint64_t bound) { return Random() % bound; }
  uint64_t PickCustomer();
  std::string Email(uint64_t customer, bool crm_casing) const;

  void Campaign(v1::Event& event, uint64_t index);
  void Contact(v1::Event& event, uint64_t customer);
  void Engagement(v1::Event& event, uint64_t customer);
  void Deal(v1::Event& event, uint64_t customer);
  void Order(v1::Event& event, uint64_t customer);
  void Activity(v1::Event& event, uint64_t customer);
  void Ticket(v1::Event& event, uint64_t customer);
  void Envelope(v1::Event& event, const std::string& system, const std::string& record_id,
                uint64_t version, const std::string& email);

  uint64_t events_;
  uint64_t customers_;
  uint64_t campaigns_;
  uint64_t produced_ = 0;
  uint64_t rng_state_;
  int64_t occurred_at_ms_;
  Mix mix_;
  // Per customer: record versions per system, the current deal, the open
  // ticket.
  std::vector<uint32_t> marketing_version_;
  std::vector<uint32_t> crm_version_;
  std::vector<uint16_t> deal_number_;
  std::vector<uint8_t> deal_stage_;    // v1::DealStage of the current deal, 0: none
  std::vector<uint32_t> open_ticket_;  // 0: none, else ticket number
};

}  // namespace accord::bench
