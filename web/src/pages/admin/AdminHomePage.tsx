import { Placeholder } from "../../components/Placeholder";

export default function AdminHomePage() {
  return <Placeholder title="Admin desk" />;
}
